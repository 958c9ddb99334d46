"""Resolving `module:attr` names from the config: handlers and retryable exceptions."""

from __future__ import annotations

import builtins
import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ImportProblem(Exception):
    """A name in the config that does not resolve; the message says why."""


def ensure_on_path(config_dir: Path) -> None:
    """Handlers are imported the way a worker started in the config dir imports them."""
    entry = str(config_dir.resolve())
    if entry not in sys.path:
        sys.path.insert(0, entry)


def import_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of user code is a diagnostic
        raise ImportProblem(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImportProblem(f"module {module_name!r} has no attribute {attr!r}") from None
    return target


def import_handler(spec: str) -> Callable[..., Any]:
    handler = import_object(spec)
    if not callable(handler):
        raise ImportProblem(f"handler {spec!r} is not callable")
    return handler


def resolve_exception(name: str) -> type[BaseException]:
    """`ConnectionError` (a builtin) or `package.module:Class`."""
    if ":" in name:
        found = import_object(name)
    else:
        found = getattr(builtins, name, None)
        if found is None:
            raise ImportProblem(f"{name!r} is not a builtin exception; write `module:Class`")
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ImportProblem(f"{name!r} is not an exception class")
    return found


# Options a Celery task decorator may set that tasks.yaml sets too (tasks.yaml wins).
DECORATOR_OPTIONS = (
    "queue",
    "max_retries",
    "autoretry_for",
    "dont_autoretry_for",
    "retry_backoff",
    "retry_backoff_max",
    "retry_jitter",
    "default_retry_delay",
    "time_limit",
    "soft_time_limit",
    "rate_limit",
    "acks_late",
    "ignore_result",
    "track_started",
    "expires",
    "base",
)


@dataclass(frozen=True)
class TaskParts:
    """What a Celery task object wraps: the function, whether it takes the task as its first
    argument (`bind=True`), and the decorator's own options."""

    fun: Callable[..., Any]
    bind: bool
    options: dict[str, Any]


def task_parts(handler: Any) -> TaskParts | None:
    """The parts of a Celery task object (`@shared_task`, `@app.task`, plain or bound); None
    for anything else. Read without evaluating the object: a shared task's proxy would
    create or finalize a Celery app to find itself."""
    kind = type(handler)
    if kind.__module__ == "celery.local" and kind.__name__ in ("Proxy", "PromiseProxy"):
        return _proxy_parts(handler)
    if not any(c.__module__ == "celery.app.task" and c.__name__ == "Task" for c in kind.__mro__):
        return None
    run = inspect.getattr_static(handler, "__wrapped__", None) or kind.__dict__.get("run")
    options = _own_options(_decorated(kind))
    if run is None:  # a Task subclass written by hand: its `run` method is the handler
        return TaskParts(handler.run, False, options)
    if isinstance(run, staticmethod):
        return TaskParts(run.__func__, False, options)
    return TaskParts(run, True, options)


def _decorated(kind: type) -> dict[str, Any]:
    """A bound task class's own attributes, less those Celery copied from its app's settings
    when it bound the class (`Task.from_config`: acks_late, track_started, ...)."""
    conf = getattr(vars(kind).get("_app"), "conf", None)
    copied = dict(getattr(kind, "from_config", ()))
    return {
        key: value
        for key, value in vars(kind).items()
        if not (key in copied and conf is not None and conf.get(copied[key]) == value)
    }


def _proxy_parts(proxy: Any) -> TaskParts | None:
    try:
        local = object.__getattribute__(proxy, "_Proxy__local")
    except AttributeError:  # an evaluated PromiseProxy keeps only the task it made
        return task_parts(object.__getattribute__(proxy, "__thing"))
    args = object.__getattribute__(proxy, "_Proxy__args")
    if args and callable(args[0]):  # @app.task's lazy PromiseProxy(_task_from_fun, (fun,), opts)
        options = object.__getattribute__(proxy, "_Proxy__kwargs")
        return TaskParts(args[0], bool(options.get("bind")), _own_options(options))
    fun = inspect.getclosurevars(local).nonlocals.get("fun")  # @shared_task's task_by_cons
    if not callable(fun):
        return None
    options = _shared_task_options(fun)
    return TaskParts(fun, bool(options.get("bind")), _own_options(options))


def _shared_task_options(fun: Callable[..., Any]) -> dict[str, Any]:
    """@shared_task keeps its options only in the callback it registers for every app."""
    state = sys.modules.get("celery._state")
    for callback in list(getattr(state, "_on_app_finalizers", ())):
        try:
            found = inspect.getclosurevars(callback).nonlocals
        except (TypeError, ValueError):
            continue
        if found.get("fun") is fun and isinstance(found.get("options"), dict):
            return found["options"]
    return {}


def _own_options(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in DECORATOR_OPTIONS and v is not None}
