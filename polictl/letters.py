"""What `polictl dead` and the console's dead-letters page do, once: open the store, find a
letter, replay letters, purge. Values in, values out; the callers print or render them.

A replay claims its letter, sends the task again through its declared route (with an id
derived from the letter and a `poli_replay_of` header naming it), and removes the letter
only once the broker took the new message: a letter that no longer fits (task gone,
arguments refused by the handler's input check, arguments too large to have been kept) stays.
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

    if platform.broker.state_store is None:
        raise UserError(
            "dead letters need a Redis: the broker, the result backend or broker.state_url",
            hint="broker.result_backend or broker.state_url in queues.yaml",
        )
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
        problem = _send(app, store, letter, task)
        if problem:
            outcomes.append(Replayed(letter.id, letter.task, problem=problem))
            continue
        outcomes.append(Replayed(letter.id, letter.task, task.queue, letter.replay_id))
    return outcomes


def _send(app: Any, store: Any, letter: Any, task: Any) -> str | None:
    """Send one letter again, claimed first: two replays at once, or one repeated, send it
    once, with the id derived from the letter. What kept it from being sent, or None."""
    if letter.extra.get("truncated"):
        return "its arguments were too large to keep (the letter holds a marker)"
    if not store.claim(letter.id):
        return "another replay has it, or it is gone"
    try:
        app.send_task(
            task.name,
            args=letter.args,
            kwargs=letter.kwargs,
            queue=task.queue,
            task_id=letter.replay_id,
            headers={"poli_replay_of": letter.id},
        )
    except (InvalidTaskInput, ImportProblem) as misfit:  # the handler changed since
        store.release(letter.id)
        return str(misfit)
    store.remove([letter.id])  # the claim expires on its own: a late replay finds no letter
    return None
