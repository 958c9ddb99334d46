"""What the reader takes from a live Celery app: tasks, routes, beat entries, as plain JSON.

Runs inside the reader's subprocess (the user's code is loaded there); imports only Celery.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

FIRE_TIMES = 50  # `--check` compares this many fire times of every schedule
TASK_ATTRS = (
    "time_limit", "soft_time_limit", "rate_limit", "acks_late", "ignore_result",
    "track_started", "expires", "max_retries", "default_retry_delay", "retry_backoff",
    "retry_backoff_max", "retry_jitter", "serializer", "priority", "reject_on_worker_lost",
    "store_errors_even_if_ignored", "typing",
)  # fmt: skip


def jsonable(value: Any) -> Any:
    """A setting's value as JSON: durations in seconds, classes and callables by name."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"__repr__": dotted(value)}


def dotted(obj: Any) -> str:
    if isinstance(obj, type) and obj.__module__ == "builtins":
        return obj.__name__
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}:{name}" if module and name else repr(obj)


def _route_value(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"queue": value, "extra": []}
    if isinstance(value, Mapping):
        queue = value.get("queue")
        extra = sorted(k for k in value if k != "queue")
        return {"queue": getattr(queue, "name", queue), "extra": extra}
    return {"queue": None, "extra": [repr(value)]}


def read_routes(routes: Any) -> list[dict[str, Any]]:
    """task_routes in order: each item a map entry (exact, glob or regex) or a router."""
    if routes is None:
        return []
    items = routes if isinstance(routes, list | tuple) else [routes]
    found: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, Mapping):
            found.append({"kind": "function", "name": dotted(item) if callable(item) else item})
            continue
        for key, value in item.items():
            if isinstance(key, re.Pattern):
                kind, pattern = "regex", key.pattern
            else:
                kind, pattern = ("glob" if "*" in key else "exact"), key
            found.append({"kind": kind, "pattern": pattern, **_route_value(value)})
    return found


def _handler(task: Any) -> tuple[str | None, str]:
    """`module:function` of a task's code, or None and why there is none."""
    fun = getattr(task, "__wrapped__", None)
    if fun is None:
        return None, "a class-based task (its code is the `run` method of a Task subclass)"
    module, qualname = getattr(fun, "__module__", None), getattr(fun, "__qualname__", "")
    if not module or "." in qualname or "<" in qualname:
        return None, f"its function {qualname!r} is not a module-level function"
    attr = getattr(sys.modules.get(module), qualname, None)
    if attr is None or (attr is not fun and getattr(attr, "name", None) != task.name):
        return None, f"module {module!r} has no attribute {qualname!r} holding it"
    return f"{module}:{qualname}", ""


def shared_names() -> set[str]:
    """Tasks Celery registers in every app it finalizes (@shared_task, and @app.task unless
    `shared=False`): in poli's app too, where they would win over poli's own."""
    from celery import Celery

    probe = Celery("poli-import-probe", set_as_current=False)
    probe.finalize(auto=True)
    return set(probe.tasks)


def _base(task: Any, app: Any) -> str | None:
    for cls in type(task).__mro__[1:]:
        module = cls.__module__
        if cls is app.Task or module.startswith(("celery.", "engine.")) or module == "celery":
            return None
        if cls.__name__ == "Task" and getattr(cls, "_app", None) is not None:
            return None  # an app's own Task class (app.Task of another app)
        return dotted(cls)
    return None


def _queue(app: Any, name: str) -> tuple[str | None, str]:
    """Where `apply_async` sends the task: its own `queue=` option over the routes."""
    own = getattr(app.tasks[name], "queue", None)
    try:
        route = app.amqp.router.route({"queue": own} if own else {}, name, (), {})
    except Exception as exc:  # a router function that needs real arguments
        return None, f"{type(exc).__name__}: {exc}"
    queue = route.get("queue")
    return getattr(queue, "name", queue), ""


def read_tasks(app: Any) -> dict[str, dict[str, Any]]:
    tasks, shared = {}, shared_names()
    for name, task in sorted(app.tasks.items()):
        if name.startswith("celery.") or task.name != name:
            continue  # Celery's own, or another name resolving to a task read under its own
        handler, why = _handler(task)
        queue, queue_error = _queue(app, name)
        run = type(task).__dict__.get("run")
        options = {attr: jsonable(getattr(task, attr, None)) for attr in TASK_ATTRS}
        options["autoretry_for"] = [dotted(e) for e in getattr(task, "autoretry_for", ()) or ()]
        if options["autoretry_for"]:  # the values Celery's autoretry uses when unset
            options["retry_backoff"] = float(options["retry_backoff"] or False)
            options["retry_backoff_max"] = int(options["retry_backoff_max"] or 600)
            options["retry_jitter"] = options["retry_jitter"] is not False
        options["retry_kwargs"] = jsonable(getattr(task, "retry_kwargs", None) or {})
        options["dont_autoretry_for"] = [
            dotted(e) for e in getattr(task, "dont_autoretry_for", ()) or ()
        ]
        tasks[name] = {
            "handler": handler,
            "task_object": handler is not None and name in shared,
            "no_handler": why,
            "bind": run is not None and not isinstance(run, staticmethod),
            "base": _base(task, app),
            "queue": queue,
            "queue_error": queue_error,
            "options": options,
        }
    return tasks


def _kind(schedule: Any) -> dict[str, Any]:
    from celery.schedules import crontab, solar
    from celery.schedules import schedule as interval

    if isinstance(schedule, int | float | timedelta):
        schedule = interval(schedule)
    rule = getattr(schedule, "rule", None)  # poli's own: its model, not Celery's parser
    if rule is not None and rule.cron is not None:
        return {"kind": "crontab", "fields": rule.cron.split()}
    if rule is not None:
        return {"kind": "interval", "seconds": float(rule.every), "relative": False}
    if isinstance(schedule, crontab):
        fields = [schedule._orig_minute, schedule._orig_hour, schedule._orig_day_of_month,
                  schedule._orig_month_of_year, schedule._orig_day_of_week]  # fmt: skip
        return {"kind": "crontab", "fields": [jsonable(f) for f in fields]}
    if isinstance(schedule, solar):
        return {"kind": "solar", "event": schedule.event, "lat": schedule.lat,
                "lon": schedule.lon}  # fmt: skip
    if type(schedule) is interval:
        return {"kind": "interval", "seconds": schedule.run_every.total_seconds(),
                "relative": bool(schedule.relative)}  # fmt: skip
    return {"kind": "other", "class": dotted(type(schedule))}


def fire_times(schedule: Any, now: datetime) -> list[str]:
    """The next FIRE_TIMES instants after `now`, in UTC: poli's own rule for poli's
    schedules, Celery's crontab arithmetic for the original's."""
    from celery.schedules import crontab

    rule = getattr(schedule, "rule", None)
    if rule is not None:
        times = rule.next_runs(FIRE_TIMES, now)
    elif isinstance(schedule, crontab):
        times, last = [], now
        for _ in range(FIRE_TIMES):
            start, delta, _now = schedule.remaining_delta(last)
            last = start + delta
            times.append(last)
    else:
        return []
    return [t.astimezone(UTC).isoformat() for t in times]


def read_schedules(app: Any, now: datetime) -> dict[str, dict[str, Any]]:
    from celery.schedules import schedule as interval

    entries = {}
    for name, entry in (app.conf.beat_schedule or {}).items():
        schedule = entry.get("schedule")
        if isinstance(schedule, int | float | timedelta):
            schedule = interval(schedule, app=app)
        kind = _kind(schedule)
        zone = getattr(getattr(schedule, "rule", None), "timezone", None)
        entries[name] = {
            "task": entry.get("task"),
            **kind,
            "timezone": zone or str(app.conf.timezone or "UTC"),
            "args": jsonable(entry.get("args") or []),
            "kwargs": jsonable(entry.get("kwargs") or {}),
            "options": jsonable(entry.get("options") or {}),
            "relative": bool(entry.get("relative")) or kind.get("relative", False),
            "next": fire_times(schedule, now) if kind["kind"] == "crontab" else [],
        }
    return entries
