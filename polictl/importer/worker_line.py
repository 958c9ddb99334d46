"""One `celery ... worker` command line, read option by option with the worker's own
option table (engine.config.check.celery_passthrough.tables: flag or value)."""

from __future__ import annotations

import shlex
from typing import Any

from engine.config.check.celery_passthrough import OWNED_FLAGS, tables

SHORT = {"Q": "queues", "c": "concurrency", "P": "pool", "n": "hostname", "l": "loglevel",
         "O": "optimization", "E": "task-events", "B": "beat", "s": "schedule-filename",
         "S": "scheduler", "f": "logfile", "D": "detach", "X": "exclude-queues"}  # fmt: skip
LEVELS = ("debug", "info", "warning", "error", "critical")


def _tokens(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=False)
    except ValueError:  # an unbalanced quote: the plain words will do
        return line.split()


def _option(token: str) -> tuple[str | None, str | None]:
    """(long name, value given in the same token) of `--name=v`, `--name`, `-Qa,b`, `-c`."""
    if token.startswith("--"):
        name, _, value = token[2:].partition("=")
        return name, value or None
    if token.startswith("-") and len(token) > 1 and token[1] in SHORT:
        return SHORT[token[1]], token[2:].lstrip("=") or None
    return None, None


def worker_options(line: str) -> dict[str, Any] | None:
    """Every option after `worker` by its long name (True for a flag); None when the line
    does not start a `celery ... worker`."""
    words = _tokens(line)
    starts = [i for i, w in enumerate(words) if w == "worker" and "celery" in " ".join(words[:i])]
    if not starts:
        return None
    kinds = tables()[1]
    found: dict[str, Any] = {}
    rest = words[starts[0] + 1 :]
    while rest:
        name, value = _option(rest.pop(0))
        if name is None or name not in kinds:
            continue
        if kinds[name] == "flag":
            found[name] = True
        elif value is not None or (rest and not rest[0].startswith("-")):
            found[name] = value if value is not None else rest.pop(0)
    return found


def carried_options(options: dict[str, Any]) -> dict[str, Any]:
    """What a worker group's `options:` may hold: none that poli sets itself; numbers as
    numbers; nothing that names a shell variable."""
    kept: dict[str, Any] = {}
    for name, value in options.items():
        if name in OWNED_FLAGS or name in ("task-events",) or "$" in str(value):
            continue
        kept[name] = int(value) if isinstance(value, str) and value.isdigit() else value
    return kept


GROUP_KEYS = {"pool": "pool", "loglevel": "loglevel", "prefetch-multiplier": "prefetch_multiplier",
              "max-tasks-per-child": "max_tasks_per_child",
              "max-memory-per-child": "max_memory_per_child"}  # fmt: skip
POOLS = ("prefork", "threads", "solo", "gevent", "eventlet")


def group_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The worker group's own keys the line sets (queues and concurrency aside)."""
    found: dict[str, Any] = {}
    for flag, key in GROUP_KEYS.items():
        value = str(options.get(flag, "")).lower()
        if value.isdigit():
            found[key] = int(value)
        elif (key, value) in [("pool", p) for p in POOLS] + [("loglevel", v) for v in LEVELS]:
            if value != "info":  # the schema's default
                found[key] = value
    return found
