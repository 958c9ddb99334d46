"""Checks of queues.yaml `reliability:` that the schema cannot express."""

from __future__ import annotations

from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic
from engine.durations import format_duration, parse_duration

# Live workers refresh the messages they hold every 3/16 of redeliver_within: below this
# a busy worker could miss a refresh and a running task be handed to a second worker.
MIN_REDELIVER_WITHIN = 8


def check_reliability(queues: Document) -> list[Diagnostic]:
    section = queues.data.get("reliability")
    if not isinstance(section, dict) or "redeliver_within" not in section:
        return []
    seconds = parse_duration(section["redeliver_within"])
    if seconds is None or seconds >= MIN_REDELIVER_WITHIN:
        return []  # a bad duration is the schema's to report
    return [
        error(
            queues.pos(("reliability", "redeliver_within")),
            "schema",
            f"reliability.redeliver_within: {format_duration(seconds)} is too short",
            f"at least {MIN_REDELIVER_WITHIN}s: workers must refresh the tasks they hold in time",
        )
    ]
