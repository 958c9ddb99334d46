"""A schedule of schedules.yaml as the model holds it (engine.model re-exports it): its
timing is the one time rule of engine.model.schedule_times."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.durations import parse_duration

if TYPE_CHECKING:
    from datetime import datetime

# `catchup: skip` still sends a run at most this late (a restart, a handover), like
# sidekiq-cron's grace; older misses are skipped.
CATCHUP_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    queue: str  # resolved: explicit queue, else the task's
    cron: str | None
    every: float | None
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    timezone: str
    catchup: str  # once | skip | a duration (90s, 10m)
    expires: float | None  # seconds: the schedule's own, else its task's (None: never)
    enabled: bool
    description: str
    jitter: float  # seconds; 0: none

    @property
    def jitter_offset(self) -> int:
        """Whole seconds in [0, jitter) every fire time moves by: a hash of the name, so
        every beat on every host and the preview agree, and a restart keeps it."""
        if self.jitter < 1:
            return 0
        import hashlib  # only for a jittered schedule: every process start imports the model

        digest = hashlib.sha256(self.name.encode()).digest()
        return int.from_bytes(digest[:8], "big") % int(self.jitter)

    @property
    def kwargs_dict(self) -> dict[str, Any]:
        return dict(self.kwargs)

    @property
    def catchup_deadline(self) -> float | None:
        """How late a run may be sent, in seconds; None: any time (`once`).
        `skip` still sends a run that is merely late (a restart), within a grace."""
        if self.catchup == "once":
            return None
        if self.catchup == "skip":
            return CATCHUP_GRACE_SECONDS
        return parse_duration(self.catchup)

    def next_runs(self, count: int, now: datetime | None = None) -> list[datetime]:
        from engine.model import schedule_times  # the time rule: when times are asked, not at start

        return schedule_times.next_runs(self, count, now)

    def describe(self) -> str:
        from engine.model import schedule_times

        return schedule_times.describe(self)
