"""Validated documents -> the frozen model. Defaults come from the schema files."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from engine.config.build.kubernetes import build_kubernetes
from engine.config.build.profiles import apply_profile
from engine.config.options import effective, effective_task_options, route_queue
from engine.config.read.loader import Document
from engine.durations import parse_duration, parse_size
from engine.model import (
    Beat,
    Broker,
    Console,
    Deploy,
    Flower,
    Host,
    Platform,
    Queue,
    Reliability,
    RetryPolicy,
    Route,
    Schedule,
    Task,
    WorkerGroup,
    cron,
)


def _seconds(value: Any) -> int | None:
    return None if value is None else parse_duration(value)


def build(
    docs: dict[str, Document],
    config_dir: Path,
    environment: str | None,
    sources: dict[str, str] | None = None,
    env_reads: Collection[str] = (),
) -> Platform:
    q = effective("queues.yaml", docs["queues"].data)
    s = effective("schedules.yaml", docs["schedules"].data)
    tasks = _tasks(docs["tasks"].data, q["routes"])
    workers = tuple(_worker(n, spec, tasks) for n, spec in q["workers"].items())
    by_name = {task.name: task for task in tasks}
    return Platform(
        config_dir=config_dir.resolve(),
        broker=_broker(effective("broker", q["broker"])),
        queues=tuple(Queue(n, **effective("queue", spec)) for n, spec in q["queues"].items()),
        routes=tuple(Route(r["match"], r["queue"]) for r in q["routes"]),
        workers=workers,
        tasks=tasks,
        schedules=tuple(
            _schedule(n, effective("schedule", spec), by_name, s["timezone"])
            for n, spec in s["schedules"].items()
        ),
        timezone=s["timezone"],
        deploy=_deploy(effective("deploy", q["deploy"])),
        environment=environment,
        beat=_beat(effective("beat", s["beat"])),
        kubernetes=build_kubernetes(q["kubernetes"], workers),
        eager=effective("tasks.yaml", docs["tasks"].data)["eager"],
        hosts=tuple(_host(n, effective("host", spec)) for n, spec in q["hosts"].items()),
        reliability=_reliability(effective("reliability", q["reliability"])),
        sources=tuple(sorted((sources or {}).items())),
        env_reads=tuple(sorted(env_reads)),
        celery=tuple(sorted(q["celery"].items())),
    )


def _reliability(values: dict[str, Any]) -> Reliability:
    letters = effective("dead_letters", values["dead_letters"])
    return Reliability(
        redeliver_within=parse_duration(values["redeliver_within"]),
        max_deliveries=values["max_deliveries"],
        result_retry=parse_duration(values["result_retry"]),
        dead_letter_keep=parse_duration(letters["keep"]),
        dead_letter_max=letters["max_entries"],
    )


def _beat(values: dict[str, Any]) -> Beat:
    return Beat(lock_ttl=float(parse_duration(values["lock_ttl"]) or 0))


def _host(name: str, values: dict[str, Any]) -> Host:
    return Host(name=name, **{**values, "workers": tuple(values["workers"].items())})


NO_RESULT_BACKEND = ("", "none", None)


def _broker(values: dict[str, Any]) -> Broker:
    options = dict(values["transport_options"])
    if "visibility_timeout" in options:
        options["visibility_timeout"] = parse_duration(options["visibility_timeout"])
    backend = values["result_backend"]
    return Broker(
        url=values["url"],
        result_backend=None if backend in NO_RESULT_BACKEND else backend,
        result_expires=parse_duration(values["result_expires"]),
        transport_options=tuple(sorted(options.items())),
        state_url=values["state_url"] or None,
    )


def _worker(name: str, spec: dict[str, Any], tasks: tuple[Task, ...]) -> WorkerGroup:
    # a pool without time limits (a profile's solo) only for a group whose tasks declare none
    limited = any(t.time_limit or t.soft_time_limit for t in tasks if t.queue in spec["queues"])
    values = apply_profile(effective("worker", {}), spec, limited)
    return WorkerGroup(
        name=name,
        queues=tuple(values["queues"]),
        concurrency=values["concurrency"],
        pool=values["pool"],
        prefetch_multiplier=values["prefetch_multiplier"],
        replicas=values["replicas"],
        max_tasks_per_child=values["max_tasks_per_child"],
        max_memory_per_child=values["max_memory_per_child"],
        memory_limit=parse_size(values["memory_limit"]),
        loglevel=values["loglevel"],
        profile=values["profile"],
        options=tuple(sorted(values["options"].items())),
    )


def _deploy(values: dict[str, Any]) -> Deploy:
    return Deploy(
        **{
            **values,
            "flower": Flower(**effective("flower", values["flower"])),
            "console": Console(**effective("console", values["console"])),
        }
    )


def _policy(name: str, values: dict[str, Any]) -> RetryPolicy:
    return RetryPolicy(
        name=name,
        max_retries=values["max_retries"],
        backoff=values["backoff"],
        initial=parse_duration(values["initial"]),
        max=parse_duration(values["max"]),
        jitter=values["jitter"],
        retry_on=tuple(values["retry_on"]),
        dont_retry_on=tuple(values["dont_retry_on"]),
    )


def _tasks(data: dict[str, Any], routes: list[dict[str, Any]]) -> tuple[Task, ...]:
    policies = {
        name: _policy(name, effective("retry_policy", spec))
        for name, spec in effective("tasks.yaml", data)["retry_policies"].items()
    }
    return tuple(
        _task(name, spec, effective_task_options(data, spec), policies, routes)
        for name, spec in data["tasks"].items()
    )


def _task(
    name: str,
    spec: dict[str, Any],
    options: dict[str, Any],
    policies: dict[str, RetryPolicy],
    routes: list[dict[str, Any]],
) -> Task:
    return Task(
        name=name,
        handler=options["handler"],
        queue=spec.get("queue") or route_queue(name, routes),
        retry=policies.get(options["retry"]),
        time_limit=_seconds(options.get("time_limit")),
        soft_time_limit=_seconds(options.get("soft_time_limit")),
        rate_limit=options["rate_limit"],
        acks_late=options["acks_late"],
        ignore_result=options["ignore_result"],
        description=options["description"],
        track_started=options["track_started"],
        expires=_seconds(options["expires"]),
        bind=options["bind"],
        base=options["base"],
    )


def _schedule(name: str, values: dict[str, Any], tasks: dict[str, Task], tz: str) -> Schedule:
    task = tasks[values["task"]]
    expression = values.get("cron")
    return Schedule(
        name=name,
        task=task.name,
        queue=values.get("queue") or task.queue,  # a schedule's own, else its task's
        cron=" ".join(cron.normalise(expression)) if expression else None,
        every=_seconds(values.get("every")),
        args=tuple(values["args"]),
        kwargs=tuple(sorted(values["kwargs"].items())),
        timezone=values.get("timezone") or tz,  # a schedule's own, else the file's
        catchup=f"{values['catchup']}s"
        if isinstance(values["catchup"], int)
        else values["catchup"],
        expires=_seconds(values["expires"]) if values["expires"] is not None else task.expires,
        enabled=values["enabled"],
        description=values["description"],
        jitter=_seconds(values["jitter"]) or 0.0,
    )
