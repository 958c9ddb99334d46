"""Model -> Celery app. The only module that imports Celery to build something.

Every Celery setting poli controls is in `celery_settings()`, one visible table;
per-task options are in `task_options()`.
"""

from __future__ import annotations

from typing import Any

from kombu import Exchange, Queue

from engine.imports import ensure_on_path, resolve_exception
from engine.model import DEFAULT_QUEUE, Platform, Task
from engine.model import Queue as PoliQueue
from engine.model.broker import broker_kind
from engine.runtime import heartbeat
from engine.runtime.app import expiry
from engine.runtime.app.yaml_only import YamlOnlyLoader, yaml_only
from engine.runtime.beat import runs as schedule_runs
from engine.runtime.beat.schedule import build_beat_schedule
from engine.runtime.broker import broker_url
from engine.runtime.delivery.reliability import (
    ReliableTask,
    broker_client,
    install,
    keeps_state,
    reliability_settings,
)
from engine.runtime.tasks.checked import PoliCelery
from engine.runtime.tasks.declared import register

REDIS_TRANSPORT = "engine.runtime.delivery.transport:Transport"  # by name: kombu imports it
SENTINEL_TRANSPORT = "engine.runtime.delivery.transport:SentinelTransport"
# poli's transports (server-clock unacked records, one command client); the embedded broker's
# redis+socket:// keeps kombu's (engine/runtime/delivery/transport.py says why)
TRANSPORTS = {"redis": REDIS_TRANSPORT, "rediss": REDIS_TRANSPORT, "sentinel": SENTINEL_TRANSPORT}


def _result_transport_options(platform: Platform) -> dict[str, Any]:
    options = {"visibility_timeout": platform.broker_transport_options["visibility_timeout"]}
    if platform.broker.master_name:  # a Sentinel result backend finds its master by name
        options["master_name"] = platform.broker.master_name
    return options


_RESULTS = "engine.runtime.delivery.results"
# Celery's backend aliases (celery/app/backends.py) that poli's own classes take over
RESULT_BACKENDS = {
    "redis": f"{_RESULTS}:PoliRedisBackend",
    "rediss": f"{_RESULTS}:PoliRedisBackend",
    "sentinel": f"{_RESULTS}:PoliSentinelBackend",
}


def kombu_queue(queue: PoliQueue) -> Queue:
    """A declared queue; a quorum one with `x-queue-type` and a topic exchange, which
    Celery's native delayed delivery (countdowns, retry backoff on quorum queues) needs."""
    if queue.quorum:
        exchange = Exchange(queue.name, type="topic")
        return Queue(queue.name, exchange, routing_key=queue.name,
                     queue_arguments={"x-queue-type": "quorum"})  # fmt: skip
    return Queue(queue.name, Exchange(queue.name), routing_key=queue.name)


def celery_settings(platform: Platform) -> dict[str, Any]:
    exact_routes = {t.name: {"queue": t.queue} for t in platform.tasks}
    glob_routes = [{r.match: {"queue": r.queue}} for r in platform.routes]
    url = broker_url(platform)
    return {
        **dict(platform.celery),  # queues.yaml `celery:`: none of the keys below (validate)
        "broker_url": url,
        # kombu's Redis transport, its unacked records by the server's clock: delivery/transport.py
        "broker_transport": TRANSPORTS.get(broker_kind(url)),
        "result_backend": platform.broker.result_backend_for(url),
        "broker_connection_retry_on_startup": True,
        # Unacked messages come back after this; live workers refresh theirs (reliability)
        "broker_transport_options": platform.broker_transport_options,
        "result_backend_transport_options": _result_transport_options(platform),
        "result_expires": platform.broker.result_expires,
        "task_queues": [kombu_queue(q) for q in platform.queues],
        "task_default_queue": DEFAULT_QUEUE,
        "task_create_missing_queues": False,
        "task_routes": [exact_routes, *glob_routes],
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Monitoring that costs a publish per task is off unless declared: Flower turns
        # worker task events on at run time (`enable_events`, on by default) while it
        # watches, and `deploy.flower.sent_events` adds a task-sent event per send.
        "task_send_sent_event": platform.task_sent_events,
        "worker_send_task_events": False,
        # No declared rate limit: the worker skips the token-bucket path for every task.
        "worker_disable_rate_limits": not any(t.rate_limit for t in platform.tasks),
        "worker_prefetch_multiplier": 4,  # Celery's; each group's own is on its command line
        "timezone": platform.timezone,
        "enable_utc": True,
        "beat_schedule": build_beat_schedule(platform),
        **reliability_settings(platform),  # at-least-once delivery, honest results
        # tasks.yaml `eager`: run in the caller; its errors raise there (README: eager mode)
        "task_always_eager": platform.eager,
        "task_eager_propagates": platform.eager,
        # One active beat (a lock in Redis), the YAML reloaded live: engine/runtime/beat/scheduler.py
        "beat_scheduler": "engine.runtime.beat.scheduler:PoliScheduler",
    }


def task_options(task: Task) -> dict[str, Any]:
    options: dict[str, Any] = {
        "name": task.name,
        "time_limit": task.time_limit,
        "soft_time_limit": task.soft_time_limit,
        "rate_limit": task.rate_limit,
        "acks_late": task.acks_late,
        "track_started": task.track_started,  # a result-backend write per task: opt-in
        "ignore_result": task.ignore_result,
        "expires": task.expires,  # the message carries it; a worker revokes it when late
        "max_retries": 0,
    }
    policy = task.retry
    if policy is not None:
        options.update(
            autoretry_for=tuple(resolve_exception(name) for name in policy.retry_on),
            dont_autoretry_for=tuple(resolve_exception(name) for name in policy.dont_retry_on),
            max_retries=policy.max_retries,
            retry_backoff=int(policy.initial) if policy.backoff == "exponential" else False,
            retry_backoff_max=int(policy.max),
            retry_jitter=policy.jitter,
            default_retry_delay=int(min(policy.initial, policy.max)),
        )
    return options


def build_app(platform: Platform, main: str = "poli") -> PoliCelery:
    ensure_on_path(platform.config_dir)
    # PoliCelery checks task inputs before publishing; yaml_only: Celery's env variables ignored
    app = yaml_only(
        PoliCelery(main, loader=YamlOnlyLoader, set_as_current=True, task_cls=ReliableTask)
    )
    app.use_platform(platform)
    # Redis results in one round trip, and given up (not made a failure) past result_retry;
    # by name, so Celery imports the backend (and redis-py) only when it first needs it
    app.loader.override_backends = RESULT_BACKENDS
    app.conf.update(celery_settings(platform))
    heartbeat.install(app)  # `worker --heartbeat-file`, for liveness probes
    for task in platform.tasks:
        register(app, task, task_options(task))
    install(app)
    expiry.install(app)
    schedule_runs.install(lambda app: broker_client(app) if keeps_state(app) else None)
    return app
