"""Hand-written plain Celery app, equivalent to what poli builds for tests/configs/minimal.

The baseline of the benchmark: the same queues, routes, settings, per-task options
and the very same handler functions (`testhandlers` from that config dir), written
the way a Celery user would write them without poli. `bench/run.py` checks this
stays in step with `engine.runtime.app.build.build_app` before measuring anything.

    POLI_BROKER_URL=redis://127.0.0.1:PORT celery -A plain_app worker   # from bench/
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

CONFIG_DIR = Path(__file__).resolve().parent.parent / "tests" / "configs" / "minimal"
if str(CONFIG_DIR) not in sys.path:
    sys.path.insert(0, str(CONFIG_DIR))

import testhandlers  # noqa: E402 - lives in the config dir added just above

BROKER_URL = os.environ["POLI_BROKER_URL"]
QUEUES = ("default", "alerts", "reports", "system")

app = Celery("plain", set_as_current=True)
app.conf.update(
    broker_url=BROKER_URL,
    result_backend=BROKER_URL,
    broker_connection_retry_on_startup=True,
    # poli's transport: kombu's Redis one with one redis-py client per channel, by name
    broker_transport="engine.runtime.delivery.transport:Transport",
    # poli's reliability derives these from `redeliver_within: 2m` (and runs a thread that
    # keeps the messages a live worker holds from redelivery, which this app does not)
    broker_transport_options={
        "visibility_timeout": 90,
        "unacked_restore_interval": 30,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 30,
    },
    result_backend_transport_options={"visibility_timeout": 90},
    result_expires=86400,
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
    task_default_queue="default",
    task_create_missing_queues=False,
    task_routes=[
        {
            "default.echo": {"queue": "default"},
            "alerts.echo": {"queue": "alerts"},
            "reports.echo": {"queue": "reports"},
            "system.echo": {"queue": "system"},
            "system.flaky": {"queue": "system"},
            "system.fatal": {"queue": "system"},
            "system.sleep": {"queue": "system"},
            "system.limited": {"queue": "system"},
            "system.stubborn": {"queue": "system"},
        },
        {"alerts.*": {"queue": "alerts"}},
        {"reports.*": {"queue": "reports"}},
        {"system.*": {"queue": "system"}},
    ],
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_send_sent_event=False,
    worker_send_task_events=False,
    worker_disable_rate_limits=False,  # system.limited declares one
    worker_prefetch_multiplier=4,
    timezone="UTC",
    enable_utc=True,
    beat_schedule={
        "tick": {
            "task": "system.echo",
            "schedule": timedelta(seconds=1),
            "args": ["tick"],
            "kwargs": {},
            "options": {"queue": "system"},
        },
        # poli uses its own zoned crontab (Europe/Madrid, catchup: skip); beat only.
        "nightly": {
            "task": "alerts.echo",
            "schedule": crontab(minute="0", hour="2", day_of_week="sun"),
            "args": [],
            "kwargs": {"value": "nightly"},
            "options": {"queue": "alerts"},
        },
    },
)

# defaults: retry: quick, time_limit: 20s, soft_time_limit: 15s, acks_late: true
COMMON = {"acks_late": True, "ignore_result": False, "rate_limit": None, "track_started": False}
QUICK_RETRY = {
    "autoretry_for": (testhandlers.Flaky,),
    "max_retries": 2,
    "retry_backoff": 1,
    "retry_backoff_max": 2,
    "retry_jitter": False,
    "default_retry_delay": 1,
}
DEFAULT_LIMITS = {"time_limit": 20, "soft_time_limit": 15}
SHORT_LIMITS = {"time_limit": 3, "soft_time_limit": 1}


def register(name: str, queue: str, handler, **options) -> None:
    """`queue` is where task_routes above sends `name` (poli routes, it sets no task.queue)."""
    assert app.conf.task_routes[0][name] == {"queue": queue}
    app.task(name=name, **{**COMMON, **options})(handler)


register("default.echo", "default", testhandlers.echo, **DEFAULT_LIMITS, **QUICK_RETRY)
register("alerts.echo", "alerts", testhandlers.echo, **DEFAULT_LIMITS, **QUICK_RETRY)
register("reports.echo", "reports", testhandlers.echo, **DEFAULT_LIMITS, **QUICK_RETRY)
register("system.echo", "system", testhandlers.echo, **DEFAULT_LIMITS, **QUICK_RETRY)
register("system.flaky", "system", testhandlers.flaky, **DEFAULT_LIMITS, **QUICK_RETRY)
register("system.fatal", "system", testhandlers.fatal, **DEFAULT_LIMITS, **QUICK_RETRY)
register("system.sleep", "system", testhandlers.sleep, **SHORT_LIMITS, max_retries=0)
register(
    "system.limited",
    "system",
    testhandlers.echo,
    **DEFAULT_LIMITS,
    rate_limit="60/m",
    max_retries=0,
)
register("system.stubborn", "system", testhandlers.stubborn, **SHORT_LIMITS, max_retries=0)

celery = app
