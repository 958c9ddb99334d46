"""Validated documents -> the frozen model. Defaults come from the schema files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.config import cron
from engine.config.loader import Document
from engine.config.options import effective_task_options, route_queue
from engine.config.profiles import apply_profile
from engine.config.schema import defaults
from engine.durations import parse_duration
from engine.model import (
    Broker,
    Deploy,
    Flower,
    Platform,
    Queue,
    RetryPolicy,
    Route,
    Schedule,
    Task,
    WorkerGroup,
)


def _seconds(value: Any) -> int | None:
    return None if value is None else parse_duration(value)


def build(docs: dict[str, Document], config_dir: Path, environment: str | None) -> Platform:
    q, t, s = docs["queues"].data, docs["tasks"].data, docs["schedules"].data
    tasks = _tasks(t, q.get("routes") or [])
    by_name = {task.name: task for task in tasks}
    timezone = s.get("timezone") or "UTC"
    return Platform(
        config_dir=config_dir.resolve(),
        broker=_broker(q["broker"]),
        queues=tuple(
            Queue(n, (spec or {}).get("description", "")) for n, spec in q["queues"].items()
        ),
        routes=tuple(Route(r["match"], r["queue"]) for r in q.get("routes") or []),
        workers=tuple(_worker(n, spec, tasks) for n, spec in q["workers"].items()),
        tasks=tasks,
        schedules=tuple(
            _schedule(n, spec, by_name, timezone) for n, spec in s["schedules"].items()
        ),
        timezone=timezone,
        deploy=_deploy(q.get("deploy") or {}),
        environment=environment,
    )


def _broker(spec: dict[str, Any]) -> Broker:
    return Broker(url=spec["url"], result_backend=spec.get("result_backend") or None)


def _worker(name: str, spec: dict[str, Any], tasks: tuple[Task, ...]) -> WorkerGroup:
    # a pool without time limits is only for a group whose tasks declare none
    limited = any(t.time_limit or t.soft_time_limit for t in tasks if t.queue in spec["queues"])
    schema_defaults = defaults("queues", "properties", "workers", "additionalProperties")
    values = apply_profile(schema_defaults, spec, limited)
    return WorkerGroup(name=name, **{**values, "queues": tuple(values["queues"])})


def _deploy(spec: dict[str, Any]) -> Deploy:
    values = {**defaults("queues", "properties", "deploy"), **spec}
    flower_defaults = defaults("queues", "properties", "deploy", "properties", "flower")
    values["flower"] = Flower(**{**flower_defaults, **values.get("flower", {})})
    return Deploy(**values)


def _policy(name: str, spec: dict[str, Any]) -> RetryPolicy:
    values = {**defaults("tasks", "properties", "retry_policies", "additionalProperties"), **spec}
    return RetryPolicy(
        name=name,
        max_retries=values["max_retries"],
        backoff=values["backoff"],
        initial=parse_duration(values["initial"]),
        max=parse_duration(values["max"]),
        jitter=values["jitter"],
        retry_on=tuple(values["retry_on"]),
    )


def _tasks(data: dict[str, Any], routes: list[dict[str, Any]]) -> tuple[Task, ...]:
    policies = {n: _policy(n, spec) for n, spec in (data.get("retry_policies") or {}).items()}
    base = {**defaults("tasks", "$defs", "task_options"), **(data.get("defaults") or {})}
    tasks = []
    for name, spec in data["tasks"].items():
        options = effective_task_options(base, spec)
        tasks.append(
            Task(
                name=name,
                handler=spec["handler"],
                queue=spec.get("queue") or route_queue(name, routes),
                retry=policies.get(options.get("retry")),
                time_limit=_seconds(options.get("time_limit")),
                soft_time_limit=_seconds(options.get("soft_time_limit")),
                rate_limit=options.get("rate_limit"),
                acks_late=options["acks_late"],
                ignore_result=options["ignore_result"],
                track_started=options["track_started"],
                description=spec.get("description", ""),
            )
        )
    return tuple(tasks)


def _schedule(name: str, spec: dict[str, Any], tasks: dict[str, Task], tz: str) -> Schedule:
    values = {**defaults("schedules", "properties", "schedules", "additionalProperties"), **spec}
    task = tasks[values["task"]]
    expression = values.get("cron")
    return Schedule(
        name=name,
        task=task.name,
        queue=values.get("queue") or task.queue,
        cron=" ".join(cron.normalise(expression)) if expression else None,
        every=_seconds(values.get("every")),
        args=tuple(values["args"]),
        kwargs=tuple(sorted(values["kwargs"].items())),
        timezone=values.get("timezone") or tz,
        catchup=values["catchup"],
        enabled=values["enabled"],
        description=values["description"],
    )
