"""Rules shared by the checks and the model builder, so both agree on every value."""

from __future__ import annotations

import fnmatch
from typing import Any

DEFAULT_QUEUE = "default"


def route_queue(task_name: str, routes: list[dict[str, Any]]) -> str:
    """The first route whose glob matches the task name wins; else the default queue."""
    for route in routes:
        pattern, queue = route.get("match"), route.get("queue")
        if isinstance(pattern, str) and isinstance(queue, str):
            if fnmatch.fnmatchcase(task_name, pattern):
                return queue
    return DEFAULT_QUEUE


def effective_task_options(defaults: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The task's own options over the file's `defaults`."""
    return {**defaults, **spec}
