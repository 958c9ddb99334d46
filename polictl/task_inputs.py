"""What `polictl run` may send: strict JSON for --args/--kwargs, checked against the task's
input contract (engine.inputs) before anything is sent. Refusals exit 2, like a usage error."""

from __future__ import annotations

import json
from typing import Any

from engine.diagnostics import UserError
from engine.imports import ImportProblem
from engine.model import Task

USAGE = 2
EXAMPLES = {"--args": """--args '[1, "two"]'""", "--kwargs": """--kwargs '{"name": "value"}'"""}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (JSON has no NaN or Infinity)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"the key {key!r} appears twice")
    return dict(pairs)


def strict_json(option: str, text: str, kind: type) -> Any:
    """`text` as strict JSON (no NaN/Infinity, no repeated key) of `kind` (list or dict)."""
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise UserError(
            f"{option} is not valid JSON: {exc}", hint=f"e.g. {EXAMPLES[option]}", exit_code=USAGE
        ) from None
    if not isinstance(value, kind):
        what = "array" if kind is list else "object"
        raise UserError(
            f"{option} must be a JSON {what}, not {type(value).__name__}",
            hint=f"e.g. {EXAMPLES[option]}",
            exit_code=USAGE,
        )
    return value


def parse_arguments(args_json: str, kwargs_json: str) -> tuple[list[Any], dict[str, Any]]:
    return strict_json("--args", args_json, list), strict_json("--kwargs", kwargs_json, dict)


def check_arguments(task: Task, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Refuse, naming the handler's signature, arguments that do not fit the task."""
    from engine.inputs import InvalidTaskInput, check_call

    try:
        check_call(task.handler, task.name, args, kwargs, task.bind)
    except ImportProblem as problem:
        raise UserError(f"task {task.name!r}: {problem}") from None
    except InvalidTaskInput as misfit:
        raise UserError(
            str(misfit),
            hint=f"nothing was sent; what it takes: polictl tasks {task.name}",
            exit_code=USAGE,
        ) from None
