"""`polictl tasks`: each declared task, where it goes, its limits and retry policy, and what a
caller may send: the JSON Schema of its inputs, derived from the handler's type hints (the
same contract `polictl run` and the app check). Imports the handlers, never Celery."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from engine.diagnostics import UserError, did_you_mean
from engine.durations import format_duration
from engine.imports import ImportProblem
from engine.model import Platform, RetryPolicy, Task


def task_row(task: Task) -> dict[str, Any]:
    from engine.inputs import contract_for

    try:
        contract = contract_for(task.handler, task.bind)
        signature, schema = str(contract.signature), contract.json_schema(task.name)
    except ImportProblem as problem:
        raise UserError(f"task {task.name!r}: {problem}") from None
    retry = dataclasses.asdict(task.retry) if task.retry else None
    return {
        "name": task.name,
        "handler": task.handler,
        "signature": signature,
        "queue": task.queue,
        "time_limit": task.time_limit,
        "soft_time_limit": task.soft_time_limit,
        "rate_limit": task.rate_limit,
        "acks_late": task.acks_late,
        "ignore_result": task.ignore_result,
        "expires": task.expires,
        "bind": task.bind,
        "base": task.base,
        "retry": retry
        and {
            **retry,
            "retry_on": list(task.retry.retry_on),
            "dont_retry_on": list(task.retry.dont_retry_on),
        },
        "description": task.description,
        "input_schema": schema,
    }


def _limits(row: dict[str, Any]) -> str:
    parts = [
        f"time {format_duration(row['time_limit'])}" if row["time_limit"] else "no time limit",
        f"soft {format_duration(row['soft_time_limit'])}" if row["soft_time_limit"] else "",
        f"rate {row['rate_limit']}" if row["rate_limit"] else "",
        f"expires {format_duration(row['expires'])}" if row["expires"] else "",
        "acks late" if row["acks_late"] else "acks early",
    ]
    return ", ".join(p for p in parts if p)


def _retry(policy: RetryPolicy | None) -> str:
    if policy is None:
        return "none (fails at once)"
    delays = f"{format_duration(policy.initial)} up to {format_duration(policy.max)}"
    how = f"{policy.backoff} from {delays}" if policy.backoff == "exponential" else delays
    jitter = ", jitter" if policy.jitter else ""
    never = f"; never on {', '.join(policy.dont_retry_on)}" if policy.dont_retry_on else ""
    return f"{policy.name}: {policy.max_retries} retries, {how}{jitter}; on {', '.join(policy.retry_on)}{never}"


def format_rows(platform: Platform, rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        lines.append(f"{row['name']} -> queue {row['queue']}")
        lines.append(f"  handler  {row['handler']}{row['signature']}")
        lines.append(f"  limits   {_limits(row)}")
        lines.append(f"  retry    {_retry(platform.task(row['name']).retry)}")
    return "\n".join(lines)


def chosen_tasks(platform: Platform, names: tuple[str, ...]) -> list[Task]:
    known = [task.name for task in platform.tasks]
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known) or "polictl tasks lists them all"
            raise UserError(f"task {name!r} is not declared in tasks.yaml", hint=hint)
    return [task for task in platform.tasks if not names or task.name in names]


@click.command()
@click.argument("names", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def tasks(obj: Any, names: tuple[str, ...], fmt: str) -> None:
    """Each task (or NAME...): queue, limits, retry policy and the arguments it takes
    (--format json: with the JSON Schema of its inputs)."""
    platform = obj.platform()
    rows = [task_row(task) for task in chosen_tasks(platform, names)]
    click.echo(json.dumps(rows, indent=2) if fmt == "json" else format_rows(platform, rows))
