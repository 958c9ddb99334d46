"""What `polictl dead` and the console's dead-letters page do, once: open the store, find a
letter, replay letters, purge. Values in, values out; the callers print or render them.

A replay sends the task again through its declared route with a `poli_replay_of` header
naming the letter, and removes the letter only once the broker took the new message: a
letter that no longer fits (task gone, arguments refused by the handler's input check) stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.diagnostics import UserError
from engine.imports import ImportProblem
from engine.inputs import InvalidTaskInput
from engine.model import Platform


@dataclass(frozen=True)
class Replayed:
    letter_id: str
    task: str
    queue: str = ""
    new_id: str = ""  # the new message's task id; empty when skipped
    problem: str = ""  # why it was skipped

    def describe(self) -> str:
        if self.problem:
            return f"skipped {self.letter_id}: {self.problem}"
        return f"replayed {self.letter_id} ({self.task}) to queue {self.queue} as {self.new_id}"


@contextmanager
def open_store(platform: Platform, timeout: float = 2.0) -> Iterator[tuple[Any, Any]]:
    """(app, DeadLetterStore) in a broker session: every broker error is one user error."""
    from engine.runtime.delivery.reliability import dead_letters
    from polictl.broker.session import session

    if not platform.broker.is_redis:
        raise UserError("dead letters need a Redis broker", hint="broker.url in queues.yaml")
    with session(platform, timeout) as app:
        yield app, dead_letters(app)


def find_letter(store: Any, letter_id: str) -> Any:
    """The letter with this id or unique id prefix; a UserError when none or several."""
    from engine.runtime.delivery.deadletter import AmbiguousId

    try:
        letter = store.get(letter_id)
    except AmbiguousId:
        raise UserError(
            f"{letter_id!r} matches several dead letters", hint="give more of the id"
        ) from None
    if letter is None:
        raise UserError(f"no dead letter {letter_id!r}", hint="polictl dead list")
    return letter


def replay(app: Any, store: Any, letters: list[Any]) -> list[Replayed]:
    """Send each letter again; those sent leave the store, those that no longer fit stay."""
    declared = {t.name: t for t in app.platform.tasks}
    outcomes = []
    for letter in letters:
        task = declared.get(letter.task)
        if task is None:
            problem = f"task {letter.task!r} is no longer declared"
            outcomes.append(Replayed(letter.id, letter.task, problem=problem))
            continue
        try:
            result = app.send_task(
                task.name,
                args=letter.args,
                kwargs=letter.kwargs,
                queue=task.queue,
                headers={"poli_replay_of": letter.id},
            )
        except (InvalidTaskInput, ImportProblem) as misfit:  # the handler changed since
            outcomes.append(Replayed(letter.id, letter.task, problem=str(misfit)))
            continue
        store.remove([letter.id])
        outcomes.append(Replayed(letter.id, letter.task, task.queue, result.id))
    return outcomes
