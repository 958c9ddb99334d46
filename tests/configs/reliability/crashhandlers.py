"""Handlers for the reliability tests: each run leaves a line in a journal file."""

import os
import time


class Flaky(Exception):
    """Retried by the `quick` policy."""


def _note(journal: str, event: str) -> None:
    from celery import current_task

    with open(journal, "a") as out:
        out.write(f"{event} {current_task.request.id} {os.getpid()} {time.time():.3f}\n")


def work(journal: str, seconds: float = 0.0) -> str:
    """Starts, works `seconds`, completes: both ends land in the journal."""
    _note(journal, "start")
    time.sleep(seconds)
    _note(journal, "done")
    return "done"


def fail(journal: str, reason: str = "bad input") -> None:
    _note(journal, "start")
    raise ValueError(reason)


def refuse(journal: str, **options: object) -> None:
    """Fails for good, whatever it is given (a call with credentials in its options)."""
    _note(journal, "start")
    raise ValueError("refused")


def flaky(journal: str) -> None:
    _note(journal, "start")
    raise Flaky("still failing")


def crash(journal: str) -> None:
    """Kills its own pool process on every delivery: a poison message."""
    _note(journal, "start")
    os.kill(os.getpid(), 9)


def stubborn(journal: str) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    _note(journal, "start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except SoftTimeLimitExceeded:
            pass
