"""Operational pauses: an operator holds a schedule back for a bounded time.

A pause is an override kept in the broker's Redis beside beat's own state, not an edit of
schedules.yaml: one key per schedule holding who paused it, when and until when, with an
expiry at `until`, so a forgotten pause ends by itself. Beat skips the runs of a paused
schedule (they are logged as skipped, not sent later); `polictl schedules`, `status` and the
console show the override. This module talks to a redis-py client only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PAUSE = "poli:beat:pause:"  # + schedule name -> {"by", "at", "until"} (expires at `until`)
MAX_PAUSE_SECONDS = 7 * 24 * 3600  # bounded: a week at most
logger = logging.getLogger("poli.beat")


@dataclass(frozen=True)
class Pause:
    schedule: str
    by: str
    at: str  # ISO 8601, UTC
    until: str  # ISO 8601, UTC

    @property
    def until_time(self) -> datetime:
        return datetime.fromisoformat(self.until)

    def describe(self) -> str:
        return f"paused by {self.by} at {self.at} until {self.until}"


def pause(
    client: Any, name: str, seconds: float, by: str, now: datetime | None = None, prefix: str = ""
) -> Pause:
    """Pause `name` for `seconds` (1s to a week); the key expires when the pause ends."""
    if not 0 < seconds <= MAX_PAUSE_SECONDS:
        raise ValueError(f"a pause lasts from 1s to {MAX_PAUSE_SECONDS // 86400} days")
    now = now or datetime.now(UTC)
    until = now + timedelta(seconds=seconds)
    record = Pause(name, by, _iso(now), _iso(until))
    fields = {k: v for k, v in asdict(record).items() if k != "schedule"}
    client.set(prefix + PAUSE + name, json.dumps(fields), px=int(seconds * 1000))
    return record


def resume(client: Any, name: str, prefix: str = "") -> bool:
    """End a pause now; whether there was one."""
    return bool(client.delete(prefix + PAUSE + name))


def paused(client: Any, names: list[str], prefix: str = "") -> dict[str, Pause]:
    """The schedules among `names` paused now (one round trip); `prefix`: the broker's
    global_keyprefix (the client prefixes nothing, as beat's store)."""
    if not names:
        return {}
    values = client.mget([prefix + PAUSE + name for name in names])
    return {
        name: Pause(name, **json.loads(value))
        for name, value in zip(names, values, strict=True)
        if value is not None
    }


def held_back(store: Any, names: list[str]) -> dict[str, str]:
    """For beat (its BeatStore): the schedules among `names` paused now, each in words; none
    without Redis, and none when Redis does not answer (its sends fail too: no guessing)."""
    if store is None or not names:
        return {}
    try:
        found = paused(store.client, names, store.prefix)
        return {name: record.describe() for name, record in found.items()}
    except Exception as exc:
        logger.warning("beat: could not read pauses: %s", exc)
        return {}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")
