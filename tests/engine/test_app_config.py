"""The repository's YAML, as the Celery app built from it sees it (no YAML read back)."""

from __future__ import annotations

from pathlib import Path

import pytest
from celery.schedules import schedule as interval

from engine.config import load
from engine.runtime.app.build import build_app
from handlers.errors import TransientError

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def app():
    result = load(ROOT, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0", "POLI_RESULT_BACKEND": ""})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    yield app
    app.close()


def test_queues_and_routes(app):
    assert [q.name for q in app.conf.task_queues] == ["default", "alerts", "reports", "system"]
    router = app.amqp.router
    for task, queue in [
        ("alerts.process", "alerts"),
        ("reports.export", "reports"),
        ("system.backup_database", "system"),
        ("alerts.not_declared", "alerts"),
        ("something.else", "default"),
    ]:
        assert router.route({}, task)["queue"].name == queue


def test_task_options(app):
    process = app.tasks["alerts.process"]
    assert (process.time_limit, process.soft_time_limit, process.acks_late) == (600, 540, True)
    assert app.tasks["reports.export"].rate_limit == "10/m"
    assert app.tasks["system.ping"].acks_late is False
    backup = app.tasks["system.backup_database"]  # retry: patient
    assert (backup.max_retries, backup.retry_backoff, backup.retry_backoff_max) == (5, 120, 3600)
    assert backup.retry_jitter is True
    assert set(backup.autoretry_for) == {ConnectionError, TimeoutError, TransientError}
    health = app.tasks["system.health_check"]  # retry: none
    assert health.max_retries == 0 and not getattr(health, "autoretry_for", ())


def test_beat_schedule(app):
    beat = app.conf.beat_schedule
    assert "heartbeat" not in beat  # enabled: false
    weekly = beat["weekly-alerts"]
    assert (weekly["task"], weekly["options"]["queue"]) == ("alerts.weekly", "alerts")
    cron = weekly["schedule"]
    assert (cron.minute, cron.hour, cron.day_of_week) == ({0}, {8}, {1})
    cleanup = beat["cleanup-old-alerts"]["schedule"]
    assert (cleanup.hour, cleanup.day_of_week) == ({2}, {0})
    assert beat["cleanup-logs"]["kwargs"] == {"retention_days": 14}
    assert not any(isinstance(e["schedule"], interval) for e in beat.values())


def test_a_dead_workers_tasks_come_back_within_the_declared_bound(app):
    # tasks.yaml declares no `reliability:`: the default bound, 2 minutes. Live workers
    # refresh what they hold (tests/engine/test_reliability.py), so the timeout is short.
    options = app.conf.broker_transport_options
    swept_by = options["visibility_timeout"] + options["unacked_restore_interval"]
    assert (options["visibility_timeout"], swept_by) == (90, 120)
    assert options["unacked_restore_throttle"] == 1
    assert app.conf.task_reject_on_worker_lost is True
