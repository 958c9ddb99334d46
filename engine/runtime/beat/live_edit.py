"""Which live edits a running beat carries out, and which it refuses until a restart.

Beat and the workers build their Celery app once, when they start, and three facts of it
never change while they run:

- the queues it declares (`task_queues`, with `task_create_missing_queues` off): a send to
  any other queue fails with QueueNotFound;
- the tasks it registers, each with the handler it imported: a worker dead-letters a task it
  does not have, and runs the handler it imported, whatever tasks.yaml says now;
- which queues each worker group consumes (its `-Q`, on its command line); `validate` makes
  every declared queue consumed, so a queue the running app declares has a running consumer.

An edited config whose enabled schedules need any of these to differ (a schedule sent to a
queue the running app does not declare, of a task it does not register, or under another
handler) is refused as a whole: beat logs why and keeps running the last config it applied.
Anything else (a new schedule of a task and queue the processes have, new times, args, a
removed or disabled schedule) is applied live. docs/scheduling.md says the same.
"""

from __future__ import annotations

import logging

from engine.config.pipeline import LoadResult
from engine.config.read.document import Pos
from engine.diagnostics import ERROR, Diagnostic, format_text
from engine.model import Platform

logger = logging.getLogger("poli.beat")
RESTART = (
    "restart beat and the workers (polictl down, then up; or render, then systemctl restart "
    "poli.target)"
)


def refused(running: Platform, edited: LoadResult, generation: int) -> str | None:
    """None when beat can apply `edited`; else why not, in one line, after logging it."""
    if edited.platform is None:
        logger.error(
            "beat: the edited config is invalid; still running generation %d:\n%s",
            generation,
            format_text(edited.diagnostics),
        )
        return "invalid (polictl validate says why)"
    found = refusals(running, edited)
    if not found:
        return None
    reason = describe(found)
    logger.error("beat: refused the edit; still running generation %d: %s", generation, reason)
    return reason


def refusals(running: Platform, edited: LoadResult) -> list[Diagnostic]:
    """Why the running processes (started with `running`) cannot carry out `edited`, a
    valid config: one diagnostic per schedule that needs a restart; [] when beat can."""
    new = edited.platform
    assert new is not None  # an invalid edit is refused before this
    declared = {q.name for q in running.queues}
    handlers = {t.name: t.handler for t in running.tasks}
    found = []
    for schedule in new.enabled_schedules:
        name, queue, task = schedule.name, schedule.queue, schedule.task
        where = _position(edited, ("schedules", "schedules", name, "queue"))
        if queue not in declared:
            needs = f"queue {queue!r}, which the running beat and workers do not declare"
        elif task not in handlers:
            where = _position(edited, ("schedules", "schedules", name, "task"))
            needs = f"task {task!r}, which the running beat and workers do not register"
        elif handlers[task] != (handler := new.task(task).handler):
            where = _position(edited, ("tasks", "tasks", task, "handler"))
            needs = f"task {task!r} to run {handler}, the running workers run {handlers[task]}"
        else:
            continue
        message = f"schedule {name!r} needs {needs}: {RESTART}"
        found.append(Diagnostic(where.file, where.line, where.column, ERROR, "restart", message))
    return found


def describe(refused: list[Diagnostic]) -> str:
    """The refusal in one line, for beat's log and `polictl status`."""
    return "; ".join(f"{d.file}:{d.line}:{d.column}: {d.message}" for d in sorted(refused))


def _position(edited: LoadResult, path: tuple[str, ...]) -> Pos:
    """Where `path` (kind, then the key path in that file) is, or its nearest ancestor."""
    kind, *keys = path
    document = edited.documents.get(kind)
    if document is None:
        return Pos(f"{kind}.yaml", 1, 1)
    for at in (tuple(keys), tuple(keys[:-1])):  # the key itself, else its entry's name
        if at in document.key_positions:
            return document.key_positions[at]
    return document.pos(tuple(keys))
