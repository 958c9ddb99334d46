"""Checks on broker.transport_options that need the built model (the tasks' time limits)."""

from __future__ import annotations

from engine.config.loader import Document
from engine.diagnostics import WARNING, Diagnostic
from engine.durations import format_duration
from engine.model import Platform


def visibility_timeout(platform: Platform, queues: Document) -> list[Diagnostic]:
    """A declared visibility timeout below a task's hard time limit: Redis hands the still
    running task to another worker (acks_late), so it runs twice."""
    declared = platform.broker.transport_options_dict.get("visibility_timeout")
    limited = [t for t in platform.tasks if t.time_limit]
    if declared is None or not limited:
        return []
    longest = max(limited, key=lambda t: t.time_limit or 0)
    if declared >= (longest.time_limit or 0):
        return []
    pos = queues.pos(("broker", "transport_options", "visibility_timeout"))
    message = (
        f"broker.transport_options.visibility_timeout {format_duration(declared)} is below "
        f"the hard time limit of task {longest.name!r} ({format_duration(longest.time_limit)}): "
        "Redis would hand it to another worker while it still runs"
    )
    hint = f"raise it above {format_duration(longest.time_limit)}, or remove it (poli derives {format_duration(platform.visibility_timeout)})"
    return [
        Diagnostic(pos.file, pos.line, pos.column, WARNING, "visibility-timeout", message, hint)
    ]
