"""Worker groups: one per queue, or the `-Q` lists of an existing manager script, Procfile,
supervisor config or systemd unit (`--workers FILE`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polictl.importer.model import Translation
from polictl.importer.values import NAME, slug
from polictl.importer.worker_line import carried_options, group_settings, worker_options

_LOOSE = ("prefetch_multiplier", "pool", "concurrency", "max_tasks_per_child",
          "max_memory_per_child")  # fmt: skip


@dataclass(frozen=True)
class WorkerSpec:
    """One `celery worker` command line found in a file."""

    source: str  # FILE:LINE
    queues: tuple[str, ...]
    concurrency: int | None
    name: str | None
    settings: tuple[tuple[str, Any], ...] = ()  # the group's own keys (pool, loglevel, ...)
    options: tuple[tuple[str, Any], ...] = ()  # worker flags poli does not set itself


def read_worker_specs(path: Path) -> list[WorkerSpec]:
    """Every line that starts a `celery ... worker` (its `-Q` queues; without one, all of
    them); a shell line continued with `\\` counts as one line."""
    specs = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        options = worker_options(line)
        if options is None:
            continue
        queues = str(options.get("queues", ""))  # none: the worker consumes every queue
        node = str(options.get("hostname", "")).split("@")[0]
        concurrency = str(options.get("concurrency", ""))
        specs.append(
            WorkerSpec(
                f"{path.name}:{number}",
                tuple(q for q in queues.split(",") if q and "$" not in q),
                int(concurrency) if concurrency.isdigit() else None,
                node if node and "%" not in node and "$" not in node else None,
                tuple(group_settings(options).items()),
                tuple(sorted(carried_options(options).items())),
            )
        )
    return specs


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line's number, the line with its `\\` continuations joined)."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        start, head = pending if pending else (number, "")
        if line.endswith("\\"):
            pending = (start, head + line[:-1] + " ")
            continue
        joined.append((start, head + line))
        pending = None
    return joined


def _group_name(spec: WorkerSpec, taken: dict[str, Any]) -> str:
    name = slug(spec.name) if spec.name else "-".join(spec.queues or ("all",))[:63]
    candidate, n = name, 2
    while candidate in taken or not NAME.match(candidate):
        candidate, n = f"{slug(name)[:58]}-{n}", n + 1
    return candidate


def propose_workers(
    queues: list[str], specs: list[WorkerSpec], settings: dict[str, Any], out: Translation
) -> dict[str, dict[str, Any]]:
    """Groups from `specs` first, then one per queue no group consumes; Celery's worker_*
    settings on each."""
    shared = {k: settings[k] for k in _LOOSE if settings.get(k) is not None}
    if shared.get("prefetch_multiplier") == 4:
        shared.pop("prefetch_multiplier")
    groups: dict[str, dict[str, Any]] = {}
    for spec in specs:
        known = [q for q in spec.queues if q in queues] if spec.queues else list(queues)
        for queue in spec.queues:
            if queue not in queues:
                out.leave(f"{spec.source}: queue {queue!r}", "no task, route or queue of the app uses it",
                          "declare it in the app (or drop it from the command line)")  # fmt: skip
        if not known:
            continue
        name = _group_name(spec, groups)
        groups[name] = {"queues": known, **shared}
        if spec.concurrency:
            groups[name]["concurrency"] = spec.concurrency
        groups[name].update(spec.settings)
        if spec.options:
            groups[name]["options"] = dict(spec.options)
        out.comment(("queues", "workers", name), f"from {shlex.quote(spec.source)}")
    consumed = {q for group in groups.values() for q in group["queues"]}
    for queue in queues:
        if queue not in consumed:
            groups[_group_name(WorkerSpec("", (queue,), None, None), groups)] = {
                "queues": [queue],
                **shared,
            }
    return groups
