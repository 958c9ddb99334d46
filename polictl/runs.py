"""Schedule monitoring, judged: which schedules missed a run, failed their last run or run
past their task's time limit. `polictl status` exits non-zero on any; the console shows them.

Read from what beat and the workers record (polictl.beat_report: beat's last sent due time,
the workers' run records). A paused schedule is neither missed nor late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.model import Platform
from engine.model.schedule_times import fire_after
from polictl.beat_report import BeatReport

MISSED_GRACE_SECONDS = 60  # a due time older than this with no run sent is a missed run


def schedule_problems(
    platform: Platform, beat: BeatReport, now: datetime | None = None
) -> list[str]:
    """One line per schedule in trouble; none when no beat holds the lock (status says so)."""
    if beat.problem or beat.holder is None:
        return []
    now = now or datetime.now(UTC)
    found: list[str] = []
    for schedule in platform.enabled_schedules:
        if beat.paused(schedule.name):
            continue
        run = beat.runs.get(schedule.name, {})
        if run.get("outcome") == "failure":
            found.append(f"schedule {schedule.name} failed its last run (due {run.get('due')})")
        limit = platform.task(schedule.task).time_limit
        started = run.get("started")
        if run.get("outcome") == "running" and limit and started:
            if now.timestamp() - started > limit + MISSED_GRACE_SECONDS:
                found.append(
                    f"schedule {schedule.name} runs past its time limit ({limit:g}s) "
                    f"since {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M:%S} UTC"
                )
        missed = missed_run(schedule, beat.last_run(schedule.name), now)
        if missed is not None:
            found.append(f"schedule {schedule.name} missed its run due {missed.isoformat()}")
    return found


def missed_run(schedule, last_due: str | None, now: datetime) -> datetime | None:
    """The first due time after the last one sent, when it is over the grace and unsent."""
    if not last_due:
        return None  # never sent yet: beat counts a new schedule from when it saw it
    expected = fire_after(schedule, datetime.fromisoformat(last_due))
    if expected is not None and expected < now - timedelta(seconds=MISSED_GRACE_SECONDS):
        return expected
    return None
