"""`polictl dead list|show|replay|purge`: the tasks that failed for good.

The letters live in the broker's Redis (engine.runtime.delivery.deadletter); what each command
does is polictl.letters, the code the console's dead-letters page runs too.
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

from engine.durations import parse_duration
from engine.secrets import mask_secrets
from polictl import letters as letters_api


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
    """(app, DeadLetterStore) in a broker session (polictl.letters, shared with the console)."""
    with letters_api.open_store(obj.platform()) as opened:
        yield opened


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
    return letters_api.find_letter(store, letter_id)


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
        outcomes = letters_api.replay(app, store, letters)
        skipped = sum(1 for outcome in outcomes if outcome.problem)
        for outcome in outcomes:
            echo(outcome.describe(), err=bool(outcome.problem))
        echo(f"{len(outcomes) - skipped} replayed, {skipped} skipped")
        return 1 if skipped else 0


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
