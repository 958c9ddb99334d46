"""The typed model of a poli platform: frozen values, no I/O, no Celery.

Every consumer (the Celery app builder, the generators, the CLI) reads this
model only. Derived values (the queue a task lands on, stop timeouts, the
visibility timeout, where results go) are computed here, once.

No field has a default: the defaults live in the JSON Schema files only, and the
model builder (engine.config.build.model) fills every field from them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.model.broker import EMBEDDED_BROKER, REDIS_KINDS, BrokerKind, broker_kind, state_store
from engine.model.deploy import BEAT_HEARTBEAT_ENV, Beat, Console, Deploy, Flower, Host
from engine.model.kubernetes import Kubernetes
from engine.model.reliability import Reliability, refresh_interval
from engine.model.schedule import CATCHUP_GRACE_SECONDS, Schedule

# Seconds added to the longest hard time limit so that a warm shutdown lets the
# running task finish and the worker still has time to ack and exit.
STOP_MARGIN_SECONDS = 30
# Pools in which Celery enforces neither soft nor hard time limits.
NO_TIME_LIMITS = ("solo", "threads", "gevent", "eventlet")
# Where a task no route matches lands (and where Celery sends an unrouted task).
DEFAULT_QUEUE = "default"

__all__ = [
    "EMBEDDED_BROKER",
    "BEAT_HEARTBEAT_ENV",
    "Beat",
    "Deploy",
    "Console",
    "Flower",
    "Host",
    "Kubernetes",
    "Reliability",
    "Schedule",
    "CATCHUP_GRACE_SECONDS",
]  # engine.model.*


@dataclass(frozen=True)
class Broker:
    url: str
    result_backend: str | None  # a URL, "broker" (the broker's own Redis), or None: no results
    result_expires: int  # seconds a result is kept
    transport_options: tuple[tuple[str, Any], ...]  # declared ones, durations in seconds
    state_url: str | None  # a Redis for poli's own state when neither broker nor backend is one

    @property
    def embedded(self) -> bool:
        return self.url == EMBEDDED_BROKER

    @property
    def kind(self) -> BrokerKind:
        """The one answer to "which broker is this?" (engine.model.broker.broker_kind)."""
        return broker_kind(self.url)

    @property
    def is_redis(self) -> bool:
        """Whether the broker is a Redis (embedded, redis, rediss, a unix socket, Sentinel)."""
        return self.kind in REDIS_KINDS

    @property
    def master_name(self) -> str | None:
        """The Sentinel master (`transport_options.master_name`), for a sentinel:// broker."""
        return dict(self.transport_options).get("master_name")

    @property
    def state_store(self) -> str | None:
        """Where poli keeps its own state (engine.model.broker.state_store)."""
        return state_store(self.kind, self.result_backend, self.state_url)

    @property
    def key_prefix(self) -> str:
        """`transport_options.global_keyprefix`: poli puts it before its own keys itself."""
        return str(dict(self.transport_options).get("global_keyprefix") or "")

    def result_backend_for(self, broker_url: str) -> str | None:
        """Where results go, given the URL the broker is reached at (the embedded broker's
        is known only at run time): `broker` means the broker's own Redis (none when it is
        not Redis); None (`none` in the YAML) means none, whatever the broker."""
        if self.result_backend == "broker":
            return broker_url if broker_kind(broker_url) in REDIS_KINDS else None
        return self.result_backend


@dataclass(frozen=True)
class Queue:
    name: str
    description: str
    min_hosts: int  # redundancy asked for in a multi-host deployment
    type: str  # RabbitMQ's queue type: classic or quorum (amqp:// only)

    @property
    def quorum(self) -> bool:
        return self.type == "quorum"


@dataclass(frozen=True)
class Route:
    """First match wins (engine.config.options.route_queue resolves `Task.queue`)."""

    match: str
    queue: str


@dataclass(frozen=True)
class WorkerGroup:
    name: str
    queues: tuple[str, ...]
    concurrency: int
    pool: str
    prefetch_multiplier: int
    replicas: int
    max_tasks_per_child: int | None
    max_memory_per_child: int | None  # KiB, as Celery takes it
    memory_limit: int | None  # KiB, for the whole worker (main process + pool)
    loglevel: str
    profile: str | None  # engine/config/profiles.py: already applied to the above
    options: tuple[tuple[str, Any], ...]  # more `celery worker` flags: (long name, value)

    @property
    def child_memory_limit(self) -> int | None:
        """KiB per pool process: max_memory_per_child, else a share of memory_limit."""
        if self.max_memory_per_child is not None or self.memory_limit is None:
            return self.max_memory_per_child
        return self.memory_limit // (self.concurrency + 1)


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    max_retries: int
    backoff: str  # exponential | fixed
    initial: float
    max: float
    jitter: bool
    retry_on: tuple[str, ...]
    dont_retry_on: tuple[str, ...]  # never retried, even where retry_on matches


@dataclass(frozen=True)
class Task:
    name: str
    handler: str  # "package.module:function"
    queue: str  # resolved: explicit queue, else first matching route, else DEFAULT_QUEUE
    retry: RetryPolicy | None
    time_limit: float | None
    soft_time_limit: float | None
    rate_limit: str | None
    acks_late: bool
    ignore_result: bool
    description: str
    track_started: bool
    expires: float | None  # seconds after sending; a message not started by then is revoked
    bind: bool  # the handler takes the task as its first argument (a task object's own bind)
    base: str | None  # "module:Class": the user's Task subclass, beneath poli's


@dataclass(frozen=True)
class Platform:
    config_dir: Path
    broker: Broker
    queues: tuple[Queue, ...]
    routes: tuple[Route, ...]
    workers: tuple[WorkerGroup, ...]
    tasks: tuple[Task, ...]
    schedules: tuple[Schedule, ...]
    timezone: str
    deploy: Deploy
    environment: str | None  # the overlay applied (`polictl -e NAME`), if any
    beat: Beat
    kubernetes: Kubernetes
    eager: bool  # tasks.yaml `eager`: Celery's task_always_eager (development only)
    hosts: tuple[Host, ...]  # empty: everything on one host
    reliability: Reliability
    # The config files as written ({name: text}, overlays included): what pods load from
    # the Kubernetes ConfigMap (engine.model.files names them)
    sources: tuple[tuple[str, str], ...]
    env_reads: tuple[str, ...]  # the ${VAR} names the files read (not "ignored" when set)
    celery: tuple[tuple[str, Any], ...]  # queues.yaml `celery:`: settings poli does not model

    def host(self, name: str) -> Host:
        return next(h for h in self.hosts if h.name == name)

    def on_host(self, name: str) -> Platform:
        """What runs on host `name`: its worker groups with its replica counts, beat and
        Flower (with the console) only if placed there. Generators render this like any platform."""
        host = self.host(name)
        replicas = dict(host.workers)
        workers = tuple(
            dataclasses.replace(w, replicas=replicas[w.name])
            for w in self.workers
            if w.name in replicas
        )
        flower = dataclasses.replace(
            self.deploy.flower, enabled=self.deploy.flower.enabled and host.flower
        )
        # the console goes beside Flower: on the hosts declaring `flower: true`
        console = dataclasses.replace(
            self.deploy.console, enabled=self.deploy.console.enabled and host.flower
        )
        deploy = dataclasses.replace(self.deploy, flower=flower, console=console)
        return dataclasses.replace(self, workers=workers, deploy=deploy, hosts=(host,))

    @property
    def runs_beat(self) -> bool:
        """Whether beat is part of this deployment (with hosts: of some host's bundle)."""
        return not self.hosts or any(h.beat for h in self.hosts)

    def hosts_consuming(self, queue: str) -> tuple[str, ...]:
        """The hosts where a worker group consuming `queue` runs (none without `hosts:`)."""
        groups = {w.name for w in self.consumers_of(queue)}
        return tuple(h.name for h in self.hosts if groups & {g for g, _ in h.workers})

    def task(self, name: str) -> Task:
        return next(t for t in self.tasks if t.name == name)

    def tasks_for_group(self, group: WorkerGroup) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.queue in group.queues)

    def reached_by(self, queue: str) -> tuple[str, ...]:
        """What lands on `queue`: its tasks' names, and `schedule NAME` for a schedule's own
        queue. None: only code that names the queue (`apply_async(queue=...)`) reaches it."""
        tasks = [t.name for t in self.tasks if t.queue == queue]
        own = [f"schedule {s.name}" for s in self.schedules if s.queue == queue]
        return (*tasks, *own)

    def consumers_of(self, queue: str) -> tuple[WorkerGroup, ...]:
        return tuple(w for w in self.workers if queue in w.queues)

    def longest_task(self, group: WorkerGroup) -> Task | None:
        """The task with the longest hard time limit of those routed to `group`'s queues."""
        timed = [t for t in self.tasks_for_group(group) if t.time_limit]
        return max(timed, key=lambda t: t.time_limit or 0, default=None)

    def stop_timeout(self, group: WorkerGroup) -> int:
        """Seconds a supervisor must wait on stop so no running task is killed."""
        longest = self.longest_task(group)
        return int(longest.time_limit or 0 if longest else 0) + STOP_MARGIN_SECONDS

    def stop_timeout_note(self, group: WorkerGroup) -> str:
        """Where `stop_timeout(group)` comes from, for a comment beside it."""
        longest = self.longest_task(group)
        if longest is None:
            return f"no time_limit routed here: 0s + {STOP_MARGIN_SECONDS}s margin"
        return (
            f"longest time_limit routed here: {longest.name} {int(longest.time_limit or 0)}s"
            f" + {STOP_MARGIN_SECONDS}s margin"
        )

    @property
    def longest_stop_timeout(self) -> int:
        """How long stopping every worker group may take: the longest of their stop timeouts."""
        return max((self.stop_timeout(w) for w in self.workers), default=STOP_MARGIN_SECONDS)

    @property
    def broker_transport_options(self) -> dict[str, Any]:
        """kombu's broker_transport_options: the declared ones over the derived ones (the
        short visibility timeout and its sweep, engine/model/reliability.py)."""
        return {**self.reliability.transport_options, **dict(self.broker.transport_options)}

    @property
    def visibility_timeout(self) -> float:
        """The declared visibility timeout, else the derived one: the sweep and refresh's."""
        return float(self.broker_transport_options["visibility_timeout"])

    @property
    def refresh_interval(self) -> float:
        """How often a live worker re-scores the messages it holds (engine.model.reliability)."""
        return refresh_interval(self.visibility_timeout)

    @property
    def task_sent_events(self) -> bool:
        """A task-sent event per send (Flower lists queued tasks): only where declared."""
        return self.deploy.flower.enabled and self.deploy.flower.sent_events

    @property
    def enabled_schedules(self) -> tuple[Schedule, ...]:
        return tuple(s for s in self.schedules if s.enabled)
