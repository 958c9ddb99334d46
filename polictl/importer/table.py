"""The one translation table: every Celery setting and task option import knows, and where
it goes in the YAML, or why it stays behind and what to do.

When the YAML learns a new key, its row turns from `Leave(...)` into `Carry(...)`: one line
here (issue "Real Celery projects fit" turned task `expires`, `bind`, `base`, beat entries'
`expires` and task objects as handlers so). A setting no row names, whose value differs from
Celery's default, goes through `celery:` in queues.yaml (PASS_THROUGH), unless poli sets it
from its own YAML (engine.config.check.celery_passthrough.OWNED_SETTINGS): then it is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.config.check.celery_passthrough import OWNED_SETTINGS
from polictl.importer.values import duration, rate_limit


@dataclass(frozen=True)
class Carry:
    """Carried to `key` (a dotted path in `file`), through `convert`."""

    file: str
    key: str
    convert: Callable[[Any], Any] | None = None
    note: str = ""


@dataclass(frozen=True)
class Same:
    """poli always has this value; any other one is left with `leave`'s words."""

    value: Any
    leave: Leave


@dataclass(frozen=True)
class Leave:
    """Not carried: why, and what to do."""

    why: str
    todo: str


@dataclass(frozen=True)
class Note:
    """Nothing to write: poli's own way gives the same behaviour; said once in the report."""

    text: str


@dataclass(frozen=True)
class Elsewhere:
    """Read by another part of import (queues, routes, beat), or implied by poli."""

    note: str = ""


PICKLE = Leave(
    "poli sends JSON only: pickle (or yaml, msgpack) lets a message run code in the worker",
    "send JSON-serialisable arguments (ids, not objects), then import again",
)
# A setting no row names goes through `celery:` in queues.yaml, unless poli sets it itself.
PASS_THROUGH = Carry("queues", "celery.{setting}")
NOT_YAML = Leave(
    "its value is a Python object, which YAML cannot hold",
    "set it from a plain value (a string, number, list or mapping), then import again",
)


def owned(setting: str) -> Leave:
    """A setting poli derives from its own YAML (refused in `celery:`)."""
    return Leave(f"poli sets it from {OWNED_SETTINGS[setting]}", "say it there, if at all")


TASK_OPTION_UNMODELLED = Leave(
    "tasks.yaml has no key for this task option", "drop it if Celery's default will do"
)

# Celery setting -> where it goes. Settings at Celery's default are not looked at.
SETTINGS: dict[str, Carry | Same | Leave | Note | Elsewhere] = {
    "broker_url": Carry("queues", "broker.url"),
    "result_backend": Carry("queues", "broker.result_backend"),
    "result_expires": Carry("queues", "broker.result_expires", duration),
    "broker_transport_options": Carry("queues", "broker.transport_options"),
    "timezone": Carry("schedules", "timezone"),
    "task_acks_late": Carry("tasks", "defaults.acks_late"),
    "task_time_limit": Carry("tasks", "defaults.time_limit", duration),
    "task_soft_time_limit": Carry("tasks", "defaults.soft_time_limit", duration),
    "task_ignore_result": Carry("tasks", "defaults.ignore_result"),
    "task_track_started": Carry("tasks", "defaults.track_started"),
    "task_default_rate_limit": Carry("tasks", "defaults.rate_limit", rate_limit),
    "task_always_eager": Carry("tasks", "eager"),
    "worker_prefetch_multiplier": Carry("queues", "workers.*.prefetch_multiplier"),
    "worker_concurrency": Carry("queues", "workers.*.concurrency"),
    "worker_pool": Carry("queues", "workers.*.pool"),
    "worker_max_tasks_per_child": Carry("queues", "workers.*.max_tasks_per_child"),
    "worker_max_memory_per_child": Carry("queues", "workers.*.max_memory_per_child"),
    "task_default_queue": Elsewhere("routes: a last `*` route when it is not `default`"),
    "enable_utc": Note(
        "poli keeps times in UTC and runs each schedule in its `timezone:` (the fire times "
        "are the same: `--check` compares them)"
    ),
    "task_serializer": Same("json", PICKLE),
    "result_serializer": Same("json", PICKLE),
    "accept_content": Same(["json"], PICKLE),
    "result_accept_content": Same(None, PICKLE),
    "imports": Elsewhere("tasks.yaml names each handler's module"),
    "include": Elsewhere("tasks.yaml names each handler's module"),
    "broker_connection_retry_on_startup": Elsewhere("poli always retries at start-up"),
    "beat_scheduler": Leave(
        "poli runs its own scheduler (one active beat, the YAML reloaded live)",
        "move database-held schedules (django-celery-beat) into schedules.yaml",
    ),
    "beat_schedule_filename": Elsewhere("poli keeps beat's state in Redis"),
    "worker_send_task_events": Leave(
        "Flower turns task events on while it watches", "use `deploy.flower` in queues.yaml"
    ),
    "task_send_sent_event": Leave(
        "poli derives it from `deploy.flower.sent_events`", "set that in queues.yaml"
    ),
    "task_create_missing_queues": Elsewhere("poli declares every queue"),
}

# Task option (as the reader reports it) -> tasks.yaml key. The retry options are read
# together as one retry policy (translate_tasks.retry_policy).
TASK_OPTIONS: dict[str, Carry | Same | Leave | Elsewhere] = {
    "time_limit": Carry("tasks", "time_limit", duration),
    "soft_time_limit": Carry("tasks", "soft_time_limit", duration),
    "rate_limit": Carry("tasks", "rate_limit", rate_limit),
    "acks_late": Carry("tasks", "acks_late"),
    "ignore_result": Carry("tasks", "ignore_result"),
    "track_started": Carry("tasks", "track_started"),
    "expires": Carry("tasks", "expires", duration),
    "serializer": Same("json", PICKLE),
    "priority": Same(
        None, Leave("poli has no message priorities", "route urgent work to its own queue")
    ),
    "store_errors_even_if_ignored": Same(False, TASK_OPTION_UNMODELLED),
    "typing": Same(True, TASK_OPTION_UNMODELLED),
    "dont_autoretry_for": Elsewhere("retry policy: dont_retry_on"),
    "base": Carry("tasks", "base"),
    "bind": Carry("tasks", "bind"),
    "retry_kwargs": Same(
        {},
        Leave(
            "a retry policy has no retry_kwargs",
            "set max_retries (and default_retry_delay) on the task instead",
        ),
    ),
    "max_retries": Elsewhere("retry policy"),
    "default_retry_delay": Elsewhere("retry policy"),
    "autoretry_for": Elsewhere("retry policy"),
    "retry_backoff": Elsewhere("retry policy"),
    "retry_backoff_max": Elsewhere("retry policy"),
    "retry_jitter": Elsewhere("retry policy"),
    "reject_on_worker_lost": Elsewhere("poli's reliability settings decide redelivery"),
}

# A handler that is a Celery task object (@app.task, @shared_task): poli takes it as it is
# (issue 23), its decorator's options overridden by tasks.yaml. A Leave here would name
# every such task as left behind (what main needed before task objects were handlers).
TASK_OBJECT: Leave | None = None

# Beat entry options -> schedules.yaml keys.
SCHEDULE_OPTIONS: dict[str, Carry | Leave] = {
    "queue": Carry("schedules", "queue"),
    "expires": Carry("schedules", "expires", duration),
}
UNREGISTERED = Leave(
    "the schedule names a task the app does not register",
    "register the task (or drop the entry), then import again",
)
SCHEDULE_OPTION_OTHER = Leave(
    "schedules.yaml has no key for this beat option",
    "route by queue instead; or send the options from the task itself",
)
