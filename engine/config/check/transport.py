"""Checks on broker.transport_options that need the built model (the tasks' limits and retries)."""

from __future__ import annotations

from engine.config.read.loader import Document
from engine.diagnostics import WARNING, Diagnostic
from engine.durations import format_duration as d
from engine.model import Platform

KEY = ("broker", "transport_options", "visibility_timeout")


def visibility_timeout(platform: Platform, queues: Document) -> list[Diagnostic]:
    """A declared visibility timeout below a task's hard time limit (or the cap of its retry
    delay): Redis hands the unacknowledged message to another worker, so the task runs twice."""
    declared = dict(platform.broker.transport_options).get("visibility_timeout")
    if declared is None:
        return []
    pos = queues.pos(KEY)
    needed = max(
        [t.time_limit or 0 for t in platform.tasks]
        + [t.retry.max for t in platform.tasks if t.retry]
    )
    hint = f"raise it above {d(needed)}, or remove it (poli derives {d(platform.reliability.visibility_timeout)})"
    return [
        Diagnostic(pos.file, pos.line, pos.column, WARNING, "visibility-timeout", message, hint)
        for message in (_below_limit(platform, declared), _below_retry(platform, declared))
        if message
    ]


def _below_limit(platform: Platform, declared: int) -> str | None:
    limited = [t for t in platform.tasks if (t.time_limit or 0) > declared]
    if not limited:
        return None
    task = max(limited, key=lambda t: t.time_limit or 0)
    return (
        f"broker.transport_options.visibility_timeout {d(declared)} is below the hard time "
        f"limit of task {task.name!r} ({d(task.time_limit or 0)}): Redis would hand it to "
        "another worker while it still runs"
    )


def _below_retry(platform: Platform, declared: int) -> str | None:
    retried = [(t.retry.max, t.name, t.retry) for t in platform.tasks if t.retry]
    longest = max((r for r in retried if r[0] > declared), default=None, key=lambda r: r[0])
    if longest is None:
        return None
    _, name, policy = longest
    return (
        f"broker.transport_options.visibility_timeout {d(declared)} is below the retry delay "
        f"cap of task {name!r} (policy {policy.name!r}, max {d(policy.max)}): a retry "
        "waiting that long would be delivered twice"
    )
