"""Resolving `module:attr` names from the config: handlers and retryable exceptions."""

from __future__ import annotations

import builtins
import importlib
import sys
from collections.abc import Callable
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
