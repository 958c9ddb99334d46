"""polictl commands that send work through the broker: ping, run (purge: `purge`)."""

from __future__ import annotations

import json
from typing import Any

import click

from engine.diagnostics import UserError
from engine.secrets import mask_secrets


@click.command()
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for replies.")
@click.pass_obj
def ping(obj: Any, timeout: float) -> int:
    """Send system.ping through every queue; fail naming each queue that does not answer."""
    from polictl.broker.probe import ping as probe
    from polictl.broker.session import session
    from polictl.stack.tables import print_ping

    platform = obj.platform()
    with session(platform, needs_results="ping") as app:
        results = probe(app, platform, timeout)
    print_ping(results, by_host=bool(platform.hosts))
    return 0 if all(r.ok for r in results) else 1


@click.command()
@click.argument("task_name")
@click.option("--args", "args_json", default="[]", help="Positional arguments, a JSON array.")
@click.option("--kwargs", "kwargs_json", default="{}", help="Keyword arguments, a JSON object.")
@click.option("--wait", is_flag=True, help="Wait for the result and print it.")
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds --wait waits.",
)
@click.option("--local", is_flag=True, help="Run it in this process (eager), no broker.")
@click.option("--many", type=click.File(encoding="utf-8"), help="Calls, a JSON line each.")
@click.pass_obj
def run(
    obj: Any,
    task_name: str,
    args_json: str,
    kwargs_json: str,
    wait: bool,
    timeout: float,
    local: bool,
    many: Any,
) -> None:
    """Send TASK_NAME through its route; with --wait, print its result. Arguments that do not
    fit the handler's signature and type hints are refused before anything is sent."""
    from polictl.broker.probe import declared_task, send
    from polictl.broker.session import celery_app, session
    from polictl.task_inputs import check_arguments, parse_arguments

    args, kwargs = parse_arguments(args_json, kwargs_json)
    platform = obj.platform()
    task = declared_task(platform, task_name)
    if many is not None:
        from polictl.broker.many import run_many

        return run_many(celery_app, platform, task, many, wait)
    check_arguments(task, args, kwargs)
    if local:
        from polictl.local_run import run_local

        return run_local(platform, task, args, kwargs)
    with session(platform, needs_results="run --wait" if wait else "") as app:
        result = send(app, task, args, kwargs)
        click.echo(f"sent {task.name} to queue {task.queue}: id {result.id}")
        if wait:
            _print_result(result, task.queue, timeout)


def _print_result(result: Any, queue: str, timeout: float) -> None:
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        value = result.get(timeout=timeout, propagate=False)
    except CeleryTimeout:
        raise UserError(
            f"no result within {timeout:g}s", hint=f"is a worker consuming {queue!r}? polictl ping"
        ) from None
    if result.failed():
        raise UserError(f"{result.state}: {value!r}", hint="polictl logs for the traceback")
    click.echo(mask_secrets(json.dumps(value, default=str, indent=2)))
