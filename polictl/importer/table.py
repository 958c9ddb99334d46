"""The one translation table: every Celery setting and task option import knows, and where
it goes in the YAML, or why it stays behind and what to do.

When the YAML learns a new key (issue "Real Celery projects fit": task `expires`,
`dont_retry_on`, `base:`, a `celery:` pass-through...), its row turns from `Leave(...)` into
`Carry(...)`: one line here. A setting not in SETTINGS whose value differs from Celery's
default is left with UNMODELLED's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


ISSUE_23 = "issue 23 ('Real Celery projects fit') adds it to the YAML"
PICKLE = Leave(
    "poli sends JSON only: pickle (or yaml, msgpack) lets a message run code in the worker",
    "send JSON-serialisable arguments (ids, not objects), then import again",
)
UNMODELLED = Leave(
    "the YAML has no key for this setting",
    f"drop it if Celery's default will do; else wait for the `celery:` pass-through ({ISSUE_23})",
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
    "expires": Same(None, Leave("tasks.yaml has no `expires` yet", ISSUE_23)),
    "serializer": Same("json", PICKLE),
    "priority": Same(
        None, Leave("poli has no message priorities", "route urgent work to its own queue")
    ),
    "store_errors_even_if_ignored": Same(False, UNMODELLED),
    "typing": Same(True, UNMODELLED),
    "dont_autoretry_for": Same([], Leave("a retry policy has no `dont_retry_on` yet", ISSUE_23)),
    "base": Same(None, Leave("tasks.yaml has no `base:` task class yet", ISSUE_23)),
    "bind": Same(
        False, Leave("tasks.yaml has no `bind:` yet: poli would not pass `self`", ISSUE_23)
    ),
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

# A handler that is a Celery task object (@app.task, @shared_task: both register themselves
# in every app, poli's included, before poli's own, and Celery keeps the first), so
# tasks.yaml's options do not reach it on main. Issue 23 takes task objects as handlers:
# then this is None.
TASK_OBJECT: Leave | None = Leave(
    "Celery task objects (@app.task, @shared_task) register themselves in poli's app too, "
    "before poli's own task, so tasks.yaml's limits, retries and acks_late do not reach them yet",
    "until poli takes task objects as handlers (issue 23), point tasks.yaml at plain functions, "
    "or keep the decorators' options equal to tasks.yaml (`polictl import --check` compares)",
)

# Beat entry options -> schedules.yaml keys.
SCHEDULE_OPTIONS: dict[str, Carry | Leave] = {
    "queue": Carry("schedules", "queue"),
    "expires": Leave("schedules.yaml has no `expires` yet", ISSUE_23),
}
SCHEDULE_OPTION_OTHER = Leave(
    "schedules.yaml has no key for this beat option",
    "route by queue instead; or send the options from the task itself",
)
