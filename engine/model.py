"""The typed model of a poli platform: frozen values, no I/O, no Celery.

Every consumer (the Celery app builder, the generators, the CLI) reads this
model only. Derived values (the queue a task lands on, stop timeouts, the
visibility timeout) are computed here, once.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# Seconds added to the longest hard time limit so that a warm shutdown lets the
# running task finish and the worker still has time to ack and exit.
STOP_MARGIN_SECONDS = 30
EMBEDDED_BROKER = "embedded"


@dataclass(frozen=True)
class Broker:
    url: str
    result_backend: str | None = None

    @property
    def embedded(self) -> bool:
        return self.url == EMBEDDED_BROKER


@dataclass(frozen=True)
class Queue:
    name: str
    description: str = ""


@dataclass(frozen=True)
class Route:
    match: str
    queue: str

    def matches(self, task_name: str) -> bool:
        return fnmatch.fnmatchcase(task_name, self.match)


@dataclass(frozen=True)
class WorkerGroup:
    name: str
    queues: tuple[str, ...]
    concurrency: int = 2
    pool: str = "prefork"
    prefetch_multiplier: int = 1
    replicas: int = 1
    max_tasks_per_child: int | None = None
    max_memory_per_child: int | None = None  # KiB, as Celery takes it
    loglevel: str = "info"
    profile: str | None = None  # engine/config/profiles.py: already applied to the above


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    max_retries: int = 3
    backoff: str = "exponential"  # exponential | fixed
    initial: float = 60.0
    max: float = 900.0
    jitter: bool = True
    retry_on: tuple[str, ...] = ("ConnectionError", "TimeoutError")


@dataclass(frozen=True)
class Task:
    name: str
    handler: str  # "package.module:function"
    queue: str  # resolved: explicit queue, else first matching route, else "default"
    retry: RetryPolicy | None = None
    time_limit: float | None = None
    soft_time_limit: float | None = None
    rate_limit: str | None = None
    acks_late: bool = True
    ignore_result: bool = False
    description: str = ""
    track_started: bool = False


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    queue: str  # resolved: explicit queue, else the task's
    cron: str | None = None
    every: float | None = None
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    timezone: str = "UTC"
    catchup: str = "once"  # once | skip
    enabled: bool = True
    description: str = ""

    @property
    def kwargs_dict(self) -> dict[str, Any]:
        return dict(self.kwargs)

    def next_runs(self, count: int, now: datetime | None = None) -> list[datetime]:
        from engine.schedule_times import next_runs

        return next_runs(self, count, now)

    def describe(self) -> str:
        from engine.schedule_times import describe

        return describe(self)


@dataclass(frozen=True)
class Flower:
    enabled: bool = True
    address: str = "127.0.0.1"
    port: int = 5555
    sent_events: bool = False


@dataclass(frozen=True)
class Deploy:
    """Where and as whom the generated units run (queues.yaml `deploy:`)."""

    user: str = "poli"
    group: str = "poli"
    working_directory: str = "/opt/poli"
    virtualenv: str = "/opt/poli/.venv"
    environment_file: str = "/etc/poli/poli.env"
    log_dir: str = "/var/log/poli"
    state_dir: str = "/var/lib/poli"
    flower: Flower = field(default_factory=Flower)

    @property
    def celery_bin(self) -> str:
        return f"{self.virtualenv.rstrip('/')}/bin/celery"


@dataclass(frozen=True)
class Platform:
    config_dir: Path
    broker: Broker
    queues: tuple[Queue, ...]
    routes: tuple[Route, ...]
    workers: tuple[WorkerGroup, ...]
    tasks: tuple[Task, ...]
    schedules: tuple[Schedule, ...]
    timezone: str = "UTC"
    deploy: Deploy = field(default_factory=Deploy)
    environment: str | None = None

    def task(self, name: str) -> Task:
        return next(t for t in self.tasks if t.name == name)

    def worker(self, name: str) -> WorkerGroup:
        return next(w for w in self.workers if w.name == name)

    def tasks_for_group(self, group: WorkerGroup) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.queue in group.queues)

    def consumers_of(self, queue: str) -> tuple[WorkerGroup, ...]:
        return tuple(w for w in self.workers if queue in w.queues)

    def longest_time_limit(self, group: WorkerGroup) -> float:
        limits = [t.time_limit or 0 for t in self.tasks_for_group(group)]
        return max(limits, default=0)

    def stop_timeout(self, group: WorkerGroup) -> int:
        """Seconds a supervisor must wait on stop so no running task is killed."""
        return int(self.longest_time_limit(group)) + STOP_MARGIN_SECONDS

    @property
    def visibility_timeout(self) -> int:
        """Redis redelivers unacked (acks_late) messages after this; it must exceed
        the longest countdown/eta and the longest hard time limit, or tasks run twice."""
        longest_limit = max((t.time_limit or 0 for t in self.tasks), default=0)
        longest_retry = max((t.retry.max for t in self.tasks if t.retry), default=0)
        return int(max(3600, 2 * longest_limit, 2 * longest_retry))

    @property
    def task_sent_events(self) -> bool:
        """A task-sent event per send (Flower lists queued tasks): only where declared."""
        return self.deploy.flower.enabled and self.deploy.flower.sent_events

    @property
    def enabled_schedules(self) -> tuple[Schedule, ...]:
        return tuple(s for s in self.schedules if s.enabled)
