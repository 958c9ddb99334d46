"""Handlers for engine tests: small, observable, controllable."""

import os
import time
from pathlib import Path


class Flaky(Exception):
    """Retried by the `quick` policy."""


def echo(value="pong"):
    """Returns the queue the message came through, to prove routing for real."""
    from celery import current_task

    delivery = current_task.request.delivery_info or {}
    return {"value": value, "queue": delivery.get("routing_key"), "pid": os.getpid()}


def flaky(marker: str, fail_times: int = 2):
    """Fails `fail_times` times (counted in a file), then succeeds."""
    path = Path(marker)
    with path.open("a") as handle:
        handle.write(f"{time.time()}\n")
    count = len(path.read_text().split()) - 1
    if count < fail_times:
        raise Flaky(f"attempt {count + 1}")
    return count + 1


def fatal(marker: str):
    path = Path(marker)
    count = int(path.read_text()) if path.exists() else 0
    path.write_text(str(count + 1))
    raise ValueError("bad argument: never retried")


def sleep(seconds: float, marker: str = ""):
    from celery.exceptions import SoftTimeLimitExceeded

    try:
        time.sleep(seconds)
    except SoftTimeLimitExceeded:
        if marker:
            Path(marker).write_text("soft")
        raise
    if marker:
        Path(marker).write_text("done")
    return seconds


def stubborn(seconds: float):
    """Ignores the soft time limit, so only the hard one can stop it."""
    from celery.exceptions import SoftTimeLimitExceeded

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except SoftTimeLimitExceeded:
            pass
    return seconds
