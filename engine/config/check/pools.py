"""A worker group whose pool enforces no time limit, running tasks that declare one."""

from __future__ import annotations

from typing import Any

from engine.config.options import effective_task_options, route_queue
from engine.config.read.document import Document
from engine.diagnostics import WARNING, Diagnostic
from engine.model import NO_TIME_LIMITS


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check_pools(queues: Document, tasks: Document) -> list[Diagnostic]:
    """A group whose pool enforces no time limit, running a task that declares one: a warning
    naming the tasks (the deployment runs, without those limits)."""
    routes = queues.data.get("routes")
    routes = [r for r in routes if isinstance(r, dict)] if isinstance(routes, list) else []
    out = []
    for name, group in _mapping(queues.data.get("workers")).items():
        group = _mapping(group)
        pool = group.get("pool")
        if pool not in NO_TIME_LIMITS:
            continue
        consumed = group.get("queues") if isinstance(group.get("queues"), list) else []
        losing = []
        for task, spec in _mapping(tasks.data.get("tasks")).items():
            spec = _mapping(spec)
            queue = spec.get("queue") if isinstance(spec.get("queue"), str) else None
            options = effective_task_options(tasks.data, spec)
            limited = options.get("time_limit") or options.get("soft_time_limit")
            if limited and (queue or route_queue(task, routes)) in consumed:
                losing.append(task)
        if losing:
            shown = ", ".join(losing[:5]) + (f" and {len(losing) - 5} more" if len(losing) > 5 else "")  # fmt: skip
            pos = queues.pos(("workers", name, "pool"))
            message = (
                f"worker group {name!r}: pool {pool!r} enforces no time limits, "
                f"so these tasks would lose theirs: {shown}"
            )
            hint = "use pool prefork, or remove time_limit and soft_time_limit from those tasks"
            out.append(Diagnostic(pos.file, pos.line, pos.column, WARNING, "pool-time-limits", message, hint))  # fmt: skip
    return out
