"""`polictl run TASK --local`: the task in this process, through the same app, argument
checks, time limits and retry policy as on a worker, with no broker (engine.runtime.tasks.local)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from engine.diagnostics import UserError
from engine.model import Platform, Task

# Nothing leaves this process: kombu's in-memory transport, no result backend.
LOCAL_BROKER = "memory://"


def run_local(platform: Platform, task: Task, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Run `task` eagerly; print its result as JSON, or fail with its error (exit 1)."""
    from engine.runtime.app.build import build_app
    from engine.runtime.tasks.local import local_run

    broker = dataclasses.replace(platform.broker, url=LOCAL_BROKER, result_backend=None)
    app = build_app(dataclasses.replace(platform, broker=broker, eager=True))
    app.conf.task_eager_propagates = False  # the result says how it ended
    click.echo(f"running {task.name} here (--local: no broker, no worker)", err=True)
    retries: list[int] = []

    def report_retry(attempt: int, delay: float, error: BaseException | None) -> None:
        retries.append(attempt)
        click.echo(f"attempt {attempt} failed: {error!r}; retrying in {delay:g}s", err=True)

    with local_run(report_retry):
        result = app.tasks[task.name].apply(args, kwargs)
    if result.failed():
        click.echo(result.traceback or "", err=True, nl=False)
        after = f" after {len(retries)} retries" if retries else ""
        raise UserError(f"{task.name} failed{after}: {result.result!r}")
    click.echo(json.dumps(result.result, default=str, indent=2))
