"""Effective values: what the user wrote over the JSON Schema's defaults, computed the same
way for the checks (`semantic`) and the model builder, so both agree on every value.

The defaults themselves live only in engine/schemas/*.json.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from engine.config.schemas import defaults
from engine.model import DEFAULT_QUEUE

# Where each kind of object is described in the schema files: (file, *JSON pointer).
SCHEMA_NODES: dict[str, tuple[str, ...]] = {
    "queues.yaml": ("queues",),
    "broker": ("queues", "properties", "broker"),
    "queue": ("queues", "properties", "queues", "additionalProperties"),
    "host": ("queues", "properties", "hosts", "additionalProperties"),
    "worker": ("queues", "properties", "workers", "additionalProperties"),
    "deploy": ("queues", "properties", "deploy"),
    "flower": ("queues", "properties", "deploy", "properties", "flower"),
    "console": ("queues", "properties", "deploy", "properties", "console"),
    "kubernetes": ("queues", "properties", "kubernetes"),
    "k8s_autoscaling": ("queues", "$defs", "k8s_autoscaling"),
    "k8s_resources": ("queues", "$defs", "k8s_resources"),
    "reliability": ("queues", "properties", "reliability"),
    "dead_letters": ("queues", "properties", "reliability", "properties", "dead_letters"),
    "tasks.yaml": ("tasks",),
    "retry_policy": ("tasks", "properties", "retry_policies", "additionalProperties"),
    "task": ("tasks", "properties", "tasks", "additionalProperties"),
    "schedules.yaml": ("schedules",),
    "beat": ("schedules", "properties", "beat"),
    "schedule": ("schedules", "properties", "schedules", "additionalProperties"),
}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def effective(kind: str, spec: Any) -> dict[str, Any]:
    """`spec` over the schema's defaults for a `kind` of object (see SCHEMA_NODES).

    The checks run on documents the schema may have refused, so `spec` may be anything:
    what is not a mapping contributes nothing."""
    return {**defaults(*SCHEMA_NODES[kind]), **_mapping(spec)}


def effective_task_options(tasks_file: Any, spec: Any) -> dict[str, Any]:
    """A task's options: its own keys, over the file's `defaults:`, over the schema's."""
    file_defaults = _mapping(tasks_file).get("defaults")
    return {**effective("task", file_defaults), **_mapping(spec)}


def route_queue(task_name: str, routes: list[Any]) -> str:
    """The first route whose glob matches the task name wins; else the default queue."""
    for route in routes:
        pattern, queue = _mapping(route).get("match"), _mapping(route).get("queue")
        if isinstance(pattern, str) and isinstance(queue, str):
            if fnmatch.fnmatchcase(task_name, pattern):
                return queue
    return DEFAULT_QUEUE


def effective_autoscaling(common: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The group's keys over `kubernetes.autoscaling` over the schema's defaults."""
    return {**effective("k8s_autoscaling", common), **own}
