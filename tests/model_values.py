"""Model values built by hand in tests: every key left out takes what the schema gives it
(the model itself has no defaults; engine/schemas/*.json is their one home)."""

from __future__ import annotations

from typing import Any

from engine.config.options import effective
from engine.durations import parse_duration
from engine.model import Beat, Schedule


def schedule(name: str, task: str, queue: str, **fields: Any) -> Schedule:
    values = {
        "cron": None,
        "every": None,
        "timezone": effective("schedules.yaml", None)["timezone"],
        **effective("schedule", None),
        **fields,
    }
    values["args"], values["kwargs"] = tuple(values["args"]), tuple(values["kwargs"])
    return Schedule(name=name, task=task, queue=queue, **values)


def beat(**fields: Any) -> Beat:
    values = {**effective("beat", None), **fields}
    return Beat(lock_ttl=float(parse_duration(values["lock_ttl"]) or 0))
