"""Handlers for engine tests: small, observable, controllable."""

import os
import time
from pathlib import Path


class Flaky(Exception):
    """Retried by the `quick` policy."""


def echo(value="pong"):
    return {"value": value, "pid": os.getpid()}


def flaky(marker: str, fail_times: int = 2):
    """Fails `fail_times` times (counted in a file), then succeeds."""
    path = Path(marker)
    count = int(path.read_text()) if path.exists() else 0
    path.write_text(str(count + 1))
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
