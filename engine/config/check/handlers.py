"""A task's handler and base class, as tasks.yaml names them: importable, checkable inputs,
and a Celery task object whose decorator options tasks.yaml overrides (said with a warning).

These import the user's code (as the worker will), never Celery itself: a task object is
recognised by its shape (engine.imports.task_parts).
"""

from __future__ import annotations

from typing import Any

from engine.config.read.loader import Document, error
from engine.diagnostics import WARNING, Diagnostic
from engine.imports import ImportProblem, import_handler, import_object, task_parts
from engine.inputs import contract_for


def check_handler(doc: Document, name: str, spec: str, bind: bool) -> list[Diagnostic]:
    """The handler imports, its type hints resolve, and a task object's own options are named
    where tasks.yaml overrides them."""
    pos = doc.pos(("tasks", name, "handler"))
    try:
        contract_for(spec, bind)  # imports it, and resolves its type hints
        parts = task_parts(import_handler(spec))
    except ImportProblem as problem:
        return [error(pos, "bad-handler", f"task {name!r}: {problem}")]
    overridden = sorted(parts.options) if parts else []
    if not overridden:
        return []
    listed = ", ".join(f"{key}={parts.options[key]!r}" for key in overridden)  # type: ignore[union-attr]
    return [
        Diagnostic(
            pos.file,
            pos.line,
            pos.column,
            WARNING,
            "decorator-options",
            f"task {name!r}: the decorator of {spec!r} sets {listed}; tasks.yaml's values apply instead",
            "set these in tasks.yaml (the task's keys or `defaults:`) and drop them from the decorator",
        )
    ]


def check_base(doc: Document, name: str, spec: Any, own: bool) -> list[Diagnostic]:
    """`base: module:Class` names a Celery Task subclass poli's task class can sit over."""
    if not isinstance(spec, str) or ":" not in spec:
        return []
    where = ("tasks", name, "base") if own else ("defaults", "base")
    try:
        found = import_object(spec)
    except ImportProblem as problem:
        return [error(doc.pos(where), "bad-base", f"task {name!r}: base: {problem}")]
    if not (isinstance(found, type) and _is_celery_task(found)):
        return [
            error(
                doc.pos(where),
                "bad-base",
                f"task {name!r}: base {spec!r} is not a subclass of celery.Task",
                "a base is a class deriving from celery.Task (`class Audited(celery.Task): ...`)",
            )
        ]
    if type(found) is not type:
        return [
            error(
                doc.pos(where),
                "bad-base",
                f"task {name!r}: base {spec!r} has a metaclass of its own"
                f" ({type(found).__name__}), so poli's task class cannot sit over it",
                "derive the base from celery.Task with no metaclass",
            )
        ]
    return []


def _is_celery_task(cls: type) -> bool:
    return any(c.__module__ == "celery.app.task" and c.__name__ == "Task" for c in cls.__mro__)
