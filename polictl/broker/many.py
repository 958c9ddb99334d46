"""`polictl run TASK --many FILE`: one call per JSON line, all checked before any is sent.

A line is a JSON array (the positional arguments) or an object with `args` and/or
`kwargs`; blank lines are skipped. A bad line is `FILE:LINE:COL: error: ...` and
nothing is sent.
"""

from __future__ import annotations

import json
from typing import Any

import click

from engine.diagnostics import ERROR, Diagnostic, UserError
from engine.model import Platform, Task

CALL_KEYS = {"args", "kwargs"}


def read_calls(text: str, file: str) -> tuple[list[tuple[int, Any]], list[Diagnostic]]:
    """(line, call) of a JSON-lines text, and the diagnostics of every bad line."""
    calls: list[tuple[int, Any]] = []
    problems: list[Diagnostic] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(_error(file, number, exc.colno, f"not JSON: {exc.msg}"))
            continue
        problem = _shape_problem(value)
        if problem:
            column = len(line) - len(line.lstrip()) + 1
            problems.append(_error(file, number, column, problem))
        else:
            calls.append((number, value))
    if not calls and not problems:
        problems.append(_error(file, 1, 1, "no calls: write one JSON array or object a line"))
    return calls, problems


def _shape_problem(value: Any) -> str | None:
    if isinstance(value, list):
        return None
    if not isinstance(value, dict):
        return f"a call is a JSON array of arguments or an object, not {type(value).__name__}"
    unknown = sorted(set(value) - CALL_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r} (a call has `args` and `kwargs`)"
    if not isinstance(value.get("args", []), list):
        return "`args` must be a JSON array"
    if not isinstance(value.get("kwargs", {}), dict):
        return "`kwargs` must be a JSON object"
    return None


def _error(file: str, line: int, column: int, message: str) -> Diagnostic:
    hint = 'e.g. [1, 2] or {"args": [1], "kwargs": {"user": "ana"}}'
    return Diagnostic(file, line, column, ERROR, "bad-call", message, hint)


def run_many(celery_app: Any, platform: Platform, task: Task, source: Any, wait: bool) -> None:
    """Check every line of `source` (JSON, then the handler's contract), then send them all
    (`engine.runtime.delivery.bulk.send_many`); one bad line and nothing is sent."""
    from engine.runtime.delivery.bulk import (
        send_many,
        split_call,
    )  # imports Celery: only when sending

    if wait:
        raise UserError("--wait takes one call, not --many", hint="drop --wait", exit_code=2)
    calls, problems = read_calls(source.read(), source.name)
    problems += _misfits(task, calls, source.name, split_call)
    if problems:
        raise UserError("nothing was sent", diagnostics=problems)
    ids = send_many(celery_app(platform), task.name, [call for _, call in calls])
    click.echo(f"sent {len(ids)} {task.name} to queue {task.queue}: ids {ids[0]} .. {ids[-1]}")


def _misfits(task: Task, calls: list[tuple[int, Any]], file: str, split: Any) -> list[Diagnostic]:
    """Calls that do not fit the handler's signature and type hints (engine.inputs)."""
    from engine.inputs import InvalidTaskInput, check_call

    out = []
    for line, call in calls:
        args, kwargs = split(call)
        try:
            check_call(task.handler, task.name, list(args), dict(kwargs), task.bind)
        except InvalidTaskInput as misfit:
            out.append(Diagnostic(file, line, 1, ERROR, "bad-call", str(misfit)))
    return out
