"""A task's handler and base class, as tasks.yaml names them: importable, checkable inputs,
and a Celery task object whose decorator options tasks.yaml overrides (said with a warning).

These import the user's code (as the worker will), never Celery itself: a task object is
recognised by its shape (engine.imports.task_parts).
"""

from __future__ import annotations

from typing import Any

from engine.config.check.schedules import mapping
from engine.config.options import effective
from engine.config.read.loader import Document, error
from engine.diagnostics import WARNING, Diagnostic
from engine.durations import parse_duration
from engine.imports import (
    ImportProblem,
    import_handler,
    import_object,
    resolve_exception,
    task_parts,
)
from engine.inputs import contract_for


def declared_values(options: dict[str, Any], queue: Any, policies: Any) -> dict[str, Any]:
    """A task's tasks.yaml values under the names of Celery's decorator options (what a task
    object's decorator is compared with); `bind` rides along for the input contract."""
    retry = options.get("retry")  # any type: this runs even when the schema found problems
    named = mapping(policies).get(retry) if isinstance(retry, str) and retry != "none" else None
    policy = effective("retry_policy", named) if isinstance(named, dict) else {}
    values = {key: options.get(key) for key in ("rate_limit", "acks_late", "ignore_result")}
    values |= {key: options.get(key) for key in ("track_started", "bind")}
    for key in ("time_limit", "soft_time_limit", "expires"):
        values[key] = _seconds(options.get(key))
    values["autoretry_for"] = _exceptions(policy.get("retry_on", ()))
    values["dont_autoretry_for"] = _exceptions(policy.get("dont_retry_on", ()))
    return {**values, "queue": queue, "max_retries": policy.get("max_retries", 0)}


def _seconds(value: Any) -> float | None:
    try:
        return None if value is None else parse_duration(value)
    except (TypeError, ValueError):  # reported by the schema check
        return None


def _exceptions(names: Any) -> frozenset[type] | None:
    """The exception classes a policy names (None where one does not resolve: reported on
    the policy itself)."""
    if not isinstance(names, list | tuple):
        return None
    try:
        return frozenset(resolve_exception(name) for name in names if isinstance(name, str))
    except ImportProblem:
        return None


def _same(declared: Any, own: Any) -> bool:
    if isinstance(declared, frozenset) and isinstance(own, list | tuple | set):
        return declared == frozenset(own)
    return declared == own


def check_handler(
    doc: Document, name: str, spec: str, declared: dict[str, Any]
) -> list[Diagnostic]:
    """The handler imports, its type hints resolve, and a task object's own options are named
    where tasks.yaml gives another value (tasks.yaml's applies)."""
    pos = doc.pos(("tasks", name, "handler"))
    try:
        contract_for(spec, declared.get("bind") is True)  # imports it, resolves its hints
        parts = task_parts(import_handler(spec))
    except ImportProblem as problem:
        return [error(pos, "bad-handler", f"task {name!r}: {problem}")]
    own = parts.options if parts else {}
    overridden = sorted(
        key for key in own if key not in declared or not _same(declared[key], own[key])
    )
    if not overridden:
        return []
    listed = ", ".join(f"{key}={own[key]!r}" for key in overridden)  # type: ignore[union-attr]
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
