"""A task of tasks.yaml on the app: its handler (a function, or a Celery task object) under
poli's task class, with the options tasks.yaml gives it.

A Celery task object (`@shared_task`, `@app.task`, plain or `bind=True`) is taken apart into
the function it wraps: poli registers that function itself, so tasks.yaml's options and
poli's behaviour (input checks, dead letters, reliability) apply as to a plain function, and
`self` is poli's task (`self.request`, `self.retry`, `self.update_state`). Options the
decorator sets are overridden by tasks.yaml (`validate` warns where they disagree). Where
the decorator's own name is another, that name is made to resolve to the same task, so
`decorated.delay(...)` in the user's code sends what tasks.yaml declares.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from engine.imports import ImportProblem, import_handler, import_object, task_parts
from engine.model import Task as DeclaredTask


def register(app: Celery, declared: DeclaredTask, options: dict[str, Any]) -> Task:
    """Register `declared` on `app` with Celery `options` (engine.runtime.app.build)."""
    handler = import_handler(declared.handler)
    parts = task_parts(handler)
    fun = parts.fun if parts else handler
    bind = parts.bind if parts else declared.bind
    base = composed_base(app, declared.base) if declared.base else None
    task = app.task(bind=bind, base=base, lazy=False, **options)(fun)
    if parts is not None:
        _answer_for_decorated(app, task, fun, parts.options.get("name"))
    return task


def composed_base(app: Celery, spec: str) -> type[Task]:
    """poli's task class over the user's Task subclass `spec`: poli's checks run first,
    then the user's `__call__`, `on_failure`... (ImportProblem when they cannot compose)."""
    user = import_object(spec)
    if not (isinstance(user, type) and issubclass(user, Task)):
        raise ImportProblem(f"base {spec!r} is not a subclass of celery.Task")
    poli = app.Task
    if issubclass(user, poli):
        return user
    try:
        return type(user.__name__, (poli, user), {"__module__": user.__module__})
    except TypeError as exc:  # an MRO or metaclass conflict
        message = f"base {spec!r} cannot be combined with poli's task class: {exc}"
        raise ImportProblem(message) from None


def _answer_for_decorated(app: Celery, task: Task, fun: Any, name: str | None) -> None:
    """The decorator's name (given, or Celery's `module.function`) resolves to poli's task, so
    `decorated.delay()` sends the declared task and the decorator never registers its own."""
    own = name or app.gen_task_name(fun.__name__, fun.__module__)
    app._tasks.setdefault(own, task)
