"""`celery worker --heartbeat-file PATH`: the worker touches PATH every few seconds from
its own timer, which its event loop drives, so a file that stops getting newer means
a worker that is stuck. Kubernetes' liveness probe checks the file's age with `sh`,
`date` and `stat`, instead of starting a Python process that imports the whole app
(`celery inspect ping`) every time; a ping would also queue behind a busy solo worker."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from celery import Celery, bootsteps

from engine.model import BEAT_HEARTBEAT_ENV

HEARTBEAT_SECONDS = 5.0


class HeartbeatFile(bootsteps.StartStopStep):
    """Touches `--heartbeat-file` when the worker starts, then every HEARTBEAT_SECONDS."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, heartbeat_file: str | None = None, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.path = Path(heartbeat_file) if heartbeat_file else None
        self.enabled = self.path is not None
        self.timer_entry: Any = None

    def start(self, worker: Any) -> None:
        self.touch()  # an unwritable path stops the worker here, loudly
        self.timer_entry = worker.timer.call_repeatedly(HEARTBEAT_SECONDS, self.touch)

    def stop(self, worker: Any) -> None:
        # The file stays: a warm shutdown may take as long as the longest task, and
        # Kubernetes stops probing a pod that is terminating.
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def touch(self) -> None:
        assert self.path is not None
        self.path.touch()


def beat_alive() -> None:
    """Beat's every tick (engine.runtime.beat.scheduler) touches $POLI_BEAT_HEARTBEAT_FILE, when
    set: the same probe as the workers', for the one process without a worker's timer."""
    path = os.environ.get(BEAT_HEARTBEAT_ENV)
    if path:
        Path(path).touch()


def install(app: Celery) -> None:
    """Add the `--heartbeat-file` worker option and its step to `app`."""
    app.user_options["worker"].add(
        click.Option(
            ["--heartbeat-file"],
            default=None,
            help="Touch this file every few seconds while the worker's event loop runs.",
        )
    )
    app.steps["worker"].add(HeartbeatFile)
