"""`polictl dead list|show|replay|purge`: the tasks that failed for good.

The letters live in the broker's Redis (engine.runtime.delivery.deadletter); a replay sends the
task again through its declared route, with a `poli_replay_of` header naming the letter,
and removes the letter once the broker took the new message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from engine.diagnostics import UserError
from engine.durations import parse_duration
from engine.imports import ImportProblem
from engine.inputs import InvalidTaskInput
from engine.secrets import mask_secrets


def echo(text: str, err: bool = False) -> None:
    """Letters carry task arguments: print them with URL credentials masked."""
    click.echo(mask_secrets(text), err=err)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    seconds = parse_duration(value)
    if seconds is None:
        raise click.BadParameter(f"{value!r} is not a duration (90s, 5m, 1h30m)")
    return seconds


@contextmanager
def _store(obj: Any) -> Iterator[tuple[Any, Any]]:
    """(app, DeadLetterStore) in a broker session: every broker error is one user error."""
    from engine.runtime.delivery.reliability import dead_letters
    from polictl.broker.session import session

    platform = obj.platform()
    if platform.broker.state_store is None:
        raise UserError(
            "dead letters need a Redis: the broker, the result backend or broker.state_url",
            hint="broker.result_backend or broker.state_url in queues.yaml",
        )
    with session(platform) as app:
        yield app, dead_letters(app)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@click.group()
def dead() -> None:
    """Tasks that failed for good (retries exhausted, not retried, time limit, poison)."""


@dead.command("list")
@click.option("--task", "task_name", help="Only letters of this task.")
@click.option("--since", callback=_duration, help="Only letters of the last DURATION (1h, 30m).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def list_letters(obj: Any, task_name: str | None, since: int | None, fmt: str) -> None:
    """Dead letters, oldest first."""
    with _store(obj) as (_, store):
        found = store.list(task=task_name, since=None if since is None else time.time() - since)
        if fmt == "json":
            echo(json.dumps([asdict(letter) for letter in found], indent=2, default=repr))
            return
        rows = [("ID", "FAILED AT (UTC)", "TASK", "QUEUE", "ATTEMPTS", "REASON", "EXCEPTION")]
        rows += [
            (
                letter.id,
                _when(letter.failed_at),
                letter.task,
                letter.queue,
                str(letter.attempts),
                letter.reason,
                letter.exception.splitlines()[0][:60] if letter.exception else "",
            )
            for letter in found
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        echo(f"{len(found)} dead letter(s)")


def _letter(store: Any, letter_id: str) -> Any:
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


@dead.command()
@click.argument("letter_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def show(obj: Any, letter_id: str, fmt: str) -> None:
    """Everything kept about one dead letter (ID or a unique prefix of it)."""
    with _store(obj) as (_, store):
        letter = _letter(store, letter_id)
        if fmt == "json":
            echo(json.dumps(asdict(letter), indent=2, default=repr))
            return
        fields = [
            ("id", letter.id),
            ("task", letter.task),
            ("queue", letter.queue),
            ("args", json.dumps(letter.args, default=repr)),
            ("kwargs", json.dumps(letter.kwargs, default=repr)),
            ("reason", letter.reason),
            ("attempts", str(letter.attempts)),
            ("failed at", _when(letter.failed_at)),
            ("replay of", letter.replay_of or "-"),
            ("exception", letter.exception),
        ]
        for name, value in fields:
            echo(f"{name + ':':11}{value}")
        echo(letter.traceback.rstrip() or "(no traceback)")


@dead.command()
@click.argument("letter_id", metavar="[ID]", required=False)
@click.option("--all", "replay_all", is_flag=True, help="Every letter (of --task, if given).")
@click.option("--task", "task_name", help="With --all: only letters of this task.")
@click.pass_obj
def replay(obj: Any, letter_id: str | None, replay_all: bool, task_name: str | None) -> int:
    """Send dead letters again through their task's route; each leaves the store once sent."""
    if bool(letter_id) == replay_all:
        raise click.UsageError("give an ID or --all")
    if task_name and not replay_all:
        raise click.UsageError("--task goes with --all")
    with _store(obj) as (app, store):
        letters = store.list(task=task_name) if replay_all else [_letter(store, letter_id)]
        declared = {t.name: t for t in app.platform.tasks}
        skipped = 0
        for letter in letters:
            task = declared.get(letter.task)
            if task is None:
                echo(f"skipped {letter.id}: task {letter.task!r} is no longer declared", err=True)
                skipped += 1
                continue
            problem = _send(app, store, letter, task)
            if problem:
                echo(f"skipped {letter.id}: {problem}", err=True)
                skipped += 1
                continue
            echo(
                f"replayed {letter.id} ({letter.task}) to queue {task.queue} as {letter.replay_id}"
            )
        echo(f"{len(letters) - skipped} replayed, {skipped} skipped")
        return 1 if skipped else 0


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


@dead.command()
@click.option("--older-than", callback=_duration, help="Only letters older than DURATION.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask first.")
@click.pass_obj
def purge(obj: Any, older_than: int | None, yes: bool) -> None:
    """Delete dead letters (all of them, or those older than --older-than)."""
    with _store(obj) as (_, store):
        if not yes:
            which = "every dead letter" if older_than is None else "dead letters that old"
            click.confirm(f"Delete {which}?", abort=True)
        echo(f"purged {store.purge(older_than)} dead letter(s)")
