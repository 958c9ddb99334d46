"""A local run (`polictl run TASK --local`): the handler in this process, without a broker,
with what Celery's eager mode leaves out switched back on.

Eager mode (`task_always_eager`) enforces no time limit (the worker's pool does that) and
runs a retry at once, whatever its countdown. Inside `local_run()` the soft time limit
raises SoftTimeLimitExceeded in the handler and the hard one TimeLimitExceeded (a SIGALRM
timer: main thread only; a worker would kill the process instead), and each retry waits
its countdown first. Outside it, eager mode keeps Celery's own behaviour.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded


@dataclass
class LocalRun:
    on_retry: Callable[[int, float, BaseException | None], None]
    last_error: BaseException | None = None


_ACTIVE: ContextVar[LocalRun | None] = ContextVar("poli_local_run", default=None)


@contextmanager
def local_run(on_retry: Callable[[int, float, BaseException | None], None]) -> Iterator[None]:
    """Time limits and retry countdowns for the eager runs inside the block."""
    token = _ACTIVE.set(LocalRun(on_retry))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def note_retry(error: BaseException | None) -> None:
    run = _ACTIVE.get()
    if run is not None:
        run.last_error = error


def wait_for_retry(retries: int | None, countdown: float | None) -> None:
    """Before a retry's eager run: report it and wait its countdown, as a worker would."""
    run = _ACTIVE.get()
    if run is None or not retries:
        return
    delay = float(countdown or 0)
    run.on_retry(retries, delay, run.last_error)
    time.sleep(delay)


@contextmanager
def time_limits(task: Any) -> Iterator[None]:
    """The task's soft and hard time limits around one execution, in a local run only."""
    soft, hard = task.soft_time_limit, task.time_limit
    if _ACTIVE.get() is None or not (soft or hard):
        yield
        return
    pending = [(soft, SoftTimeLimitExceeded)] if soft else []
    pending += [(hard, TimeLimitExceeded)] if hard else []

    def expire(signum: int, frame: Any) -> None:
        limit, error = pending.pop(0)
        if pending:  # the hard limit still runs if the handler swallows the soft one
            signal.setitimer(signal.ITIMER_REAL, max(0.001, pending[0][0] - limit))
        raise error(f"{'soft ' if error is SoftTimeLimitExceeded else ''}time limit ({limit:g}s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, pending[0][0])
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
