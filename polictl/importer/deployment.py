"""What existing deployment files set that poli renders its own way: said once per line, so
nobody expects their stop timeout or log file to survive the move."""

from __future__ import annotations

import re
from pathlib import Path

# (pattern, what poli does instead). The first group is the setting as written.
RENDERED_DIFFERENTLY = (
    (re.compile(r"^\s*((?:stopwaitsecs|TimeoutStopSec)\s*=\s*\S+)", re.I),
     "poli derives each worker group's stop timeout from the longest hard time limit of the "
     "tasks routed to it, plus a margin (see `polictl render`)"),
    (re.compile(r"^\s*(stop_grace_period\s*:\s*\S+)"),
     "poli derives each service's stop_grace_period from its tasks' time limits"),
    (re.compile(r"(--detach|Type=forking)\b"),
     "poli's units and programs run each process in the foreground, supervised"),
    (re.compile(r"(--pidfile\S*|--logfile\S*)"),
     "poli's units log to the journal (supervisor: deploy.log_dir) and keep no pid files"),
    (re.compile(r"\sworker\b.*?\s(--beat|-B)\b"),
     "poli runs beat as a process of its own, one active beat however many run"),
    (re.compile(r"\s(-E|--task-events)\b"),
     "poli turns task events on while Flower watches (deploy.flower.sent_events for more)"),
    (re.compile(r"\s((?:-s|--schedule)[=\s]\S+)"),
     "poli keeps beat's state in Redis, not in a schedule file"),
    (re.compile(r"\b(celery\s+(?:-A\s+\S+\s+)?(?:multi|flower)\b)"),
     "poli renders Flower and every worker group itself (deploy.flower, workers:)"),
)  # fmt: skip


def deployment_notes(path: Path) -> list[str]:
    notes = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, instead in RENDERED_DIFFERENTLY:
            for found in pattern.finditer(line):
                notes.append(f"{path.name}:{number}: {found.group(1)}: {instead}")
    return notes
