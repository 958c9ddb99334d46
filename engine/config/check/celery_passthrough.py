"""`celery:` (Celery settings poli does not model) and a worker group's `options:` (flags of
`celery worker`), each key checked against Celery's own tables, shipped as data
(celery_tables.txt, written from the installed Celery by engine.runtime.app.celery_tables):
`validate` never imports Celery. A key poli sets from its own YAML is refused with a pointer.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from engine.config.check.schedules import mapping
from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic, did_you_mean

TABLES = Path(__file__).with_name("celery_tables.txt")

# Settings poli derives from its YAML: where to say it instead (engine.runtime.app.build).
_TASKS = "tasks.yaml (a task's key, or `defaults:`)"
OWNED_SETTINGS = {
    "broker_url": "broker.url",
    "broker_transport": "broker.url (poli picks the transport)",
    "broker_transport_options": "broker.transport_options",
    "broker_connection_retry_on_startup": "nothing: poli always retries at start",
    "result_backend": "broker.result_backend",
    "result_backend_transport_options": "broker.transport_options",
    "result_expires": "broker.result_expires",
    "task_queues": "queues:",
    "task_default_queue": "queues: (a `default` queue) and routes:",
    "task_create_missing_queues": "queues: (every queue is declared)",
    "task_routes": "routes: and a task's `queue:`",
    "task_serializer": "nothing: poli sends JSON, checked against the handler's hints",
    "result_serializer": "nothing: poli sends JSON",
    "accept_content": "nothing: poli sends JSON",
    "task_send_sent_event": "deploy.flower.sent_events",
    "worker_send_task_events": "deploy.flower (Flower turns events on while it watches)",
    "worker_disable_rate_limits": f"a task's `rate_limit` in {_TASKS}",
    "worker_prefetch_multiplier": "workers.<group>.prefetch_multiplier",
    "worker_concurrency": "workers.<group>.concurrency",
    "worker_pool": "workers.<group>.pool",
    "worker_max_tasks_per_child": "workers.<group>.max_tasks_per_child",
    "worker_max_memory_per_child": "workers.<group>.max_memory_per_child",
    "timezone": "timezone in schedules.yaml",
    "enable_utc": "timezone in schedules.yaml",
    "beat_schedule": "schedules.yaml",
    "beat_scheduler": "schedules.yaml `beat:` (poli's own scheduler)",
    "task_always_eager": "eager in tasks.yaml",
    "task_eager_propagates": "eager in tasks.yaml",
    "task_time_limit": f"time_limit in {_TASKS}",
    "task_soft_time_limit": f"soft_time_limit in {_TASKS}",
    "task_acks_late": f"acks_late in {_TASKS}",
    "task_track_started": f"track_started in {_TASKS}",
    "task_ignore_result": f"ignore_result in {_TASKS}",
    "task_default_rate_limit": f"rate_limit in {_TASKS}",
    "task_annotations": f"the task's own keys in {_TASKS}",
    "task_reject_on_worker_lost": "reliability: (at-least-once delivery)",
    "result_backend_always_retry": "reliability.result_retry",
    "result_backend_max_retries": "reliability.result_retry",
    "result_backend_base_sleep_between_retries_ms": "reliability.result_retry",
    "result_backend_max_sleep_between_retries_ms": "reliability.result_retry",
}
# `celery worker` flags poli sets on the command line it renders, or that would break it.
OWNED_FLAGS = {
    "hostname": "nothing: poli names each worker GROUP-N@HOST",
    "queues": "workers.<group>.queues",
    "exclude-queues": "workers.<group>.queues",
    "concurrency": "workers.<group>.concurrency",
    "pool": "workers.<group>.pool",
    "prefetch-multiplier": "workers.<group>.prefetch_multiplier",
    "max-tasks-per-child": "workers.<group>.max_tasks_per_child",
    "max-memory-per-child": "workers.<group>.max_memory_per_child or memory_limit",
    "loglevel": "workers.<group>.loglevel",
    "time-limit": f"time_limit in {_TASKS}",
    "soft-time-limit": f"soft_time_limit in {_TASKS}",
    "beat": "nothing: beat runs once per deployment, as its own program",
    "schedule-filename": "nothing: beat runs as its own program",
    "scheduler": "nothing: beat runs as its own program",
    "detach": "nothing: the supervisor (systemd, supervisord, Compose) runs it in the foreground",
    "logfile": "deploy.log_dir",
    "pidfile": "nothing: the supervisor tracks the process",
    "uid": "deploy.user",
    "gid": "deploy.group",
    "executable": "deploy.virtualenv",
    "purge": "nothing: `polictl purge` empties queues on purpose, not at every start",
}
_JSON_KINDS = {
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "string": (str,),
    "dict": (dict,),
    "list": (list,),
}
_KIND_WORDS = {"bool": "true or false", "int": "an integer", "float": "a number"}
_KIND_WORDS |= {"string": "a string", "dict": "a mapping", "list": "a list"}


@functools.cache
def tables() -> tuple[dict[str, str], dict[str, str]]:
    """(setting -> type, worker option -> flag|value), as the installed Celery says."""
    settings: dict[str, str] = {}
    worker: dict[str, str] = {}
    for line in TABLES.read_text().splitlines():
        if line and not line.startswith("#"):
            table, name, kind = line.split()
            (settings if table == "setting" else worker)[name] = kind
    return settings, worker


def check(queues: Document) -> list[Diagnostic]:
    out = [
        problem
        for key, value in mapping(queues.data.get("celery")).items()
        for problem in _setting(queues, key, value)
    ]
    for group, spec in mapping(queues.data.get("workers")).items():
        for flag, value in mapping(mapping(spec).get("options")).items():
            out += _flag(queues, group, flag, value)
    return out


def _known(
    doc: Document, path: tuple[str, ...], table: dict[str, str], owned: dict[str, str], what: str
) -> Diagnostic | str:
    """The key's kind in Celery's `table`, or why it cannot be used: poli sets it (`owned`,
    with a pointer), or Celery has no such key (with did-you-mean)."""
    key, where = path[-1], ".".join(path)
    if key in owned:
        message = f"{where}: poli owns this {what}"
        return error(doc.key_pos(path), "owned-key", message, _pointer(owned[key]))
    if key not in table:
        hint = did_you_mean(key, table) or _SPELLING[what]
        return error(doc.key_pos(path), "unknown-key", f"{where}: not a {what}", hint)
    return table[key]


_SPELLING = {
    "Celery setting": "use Celery's lowercase setting names (docs.celeryq.dev: Configuration)",
    "`celery worker` option": "write a `celery worker --help` option without its dashes",
}


def _setting(doc: Document, key: str, value: Any) -> list[Diagnostic]:
    path = ("celery", key)
    kind = _known(doc, path, tables()[0], OWNED_SETTINGS, "Celery setting")
    if isinstance(kind, Diagnostic):
        return [kind]
    expected = _JSON_KINDS.get(kind)
    wrong_bool = kind != "bool" and isinstance(value, bool)
    if expected and (not isinstance(value, expected) or wrong_bool):
        message = f"celery.{key}: expected {_KIND_WORDS[kind]} (Celery's type), got {value!r}"
        return [error(doc.pos(path), "schema", message)]
    return []


def _flag(doc: Document, group: str, flag: str, value: Any) -> list[Diagnostic]:
    path = ("workers", group, "options", flag)
    kind = _known(doc, path, tables()[1], OWNED_FLAGS, "`celery worker` option")
    if isinstance(kind, Diagnostic):
        return [kind]
    if kind == "flag" and not isinstance(value, bool):
        expected = "true or false (a flag)"
    elif kind == "value" and (isinstance(value, bool) or not str(value).isprintable()):
        expected = f"a value (`--{flag}=VALUE`)"
    else:
        return []
    message = f"{'.'.join(path)}: expected {expected}, got {value!r}"
    return [error(doc.pos(path), "schema", message)]


def _pointer(where: str) -> str:
    """`broker.url` -> "set broker.url instead"; "nothing: why" -> "why"."""
    return (
        where.removeprefix("nothing: ") if where.startswith("nothing: ") else f"set {where} instead"
    )
