"""Configs in the shape of public Celery projects (written for poli, not copied): each
validates without renaming anything, and its app routes, limits and schedules as the
project's own Celery configuration does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.config import load
from engine.runtime.app.build import build_app
from engine.runtime.beat.schedule import build_beat_schedule
from generators.common import worker_args
from polictl.main import cli

PROJECTS = Path(__file__).resolve().parent.parent / "configs" / "projects"


def platform_and_app(shape: str):
    result = load(PROJECTS / shape, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.diagnostics == []
    return result.platform, build_app(result.platform)


def queue_of(app, task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


@pytest.mark.parametrize(
    "shape", ["error-tracker", "product-analytics", "e-commerce", "bi-tool", "ci-results"]
)
def test_the_shape_validates_as_written(shape: str) -> None:
    result = CliRunner().invoke(cli, ["-C", str(PROJECTS / shape), "validate"])
    assert (result.exit_code, result.output) == (0, "config is valid\n")


def test_error_tracker_routes_limits_and_expiring_beat_entries() -> None:
    platform, app = platform_and_app("error-tracker")
    routes = {
        "tracker.tasks.check_auth": "auth",
        "tracker.tasks.send_ping": "default",
        "tracker.tasks.process_buffer.process_pending": "buffers.process_pending",
        "tracker.tasks.digests.schedule_digests": "digests.scheduling",
        "tracker.tasks.digests.deliver_digest": "digests.delivery",
        "tracker.tasks.events.process_event": "events.process_event",
        "tracker.tasks.events.save_event": "events.save_event",
        "tracker.tasks.deletion.run_scheduled_deletions": "cleanup",
    }
    assert {task: queue_of(app, task) for task in routes} == routes
    pending = app.tasks["tracker.tasks.process_buffer.process_pending"]
    assert (pending.time_limit, pending.soft_time_limit, pending.ignore_result) == (60, 50, True)
    process = app.tasks["tracker.tasks.events.process_event"]
    assert (process.rate_limit, process.max_retries, process.acks_late) == ("100/s", 5, False)
    beat = build_beat_schedule(platform)
    assert beat["flush-buffers"]["options"] == {"queue": "buffers.process_pending", "expires": 10}
    assert beat["schedule-deletions"]["options"] == {"queue": "cleanup", "expires": 1500}
    weekly = platform.schedules[-1]
    sunday = datetime(2027, 5, 2, 18, 0, tzinfo=UTC)
    assert weekly.next_runs(2, sunday) == [
        datetime(2027, 5, 3, 12, 0, tzinfo=UTC),
        datetime(2027, 5, 10, 12, 0, tzinfo=UTC),
    ]
    assert app.conf.worker_hijack_root_logger is False
    background = next(w for w in platform.workers if w.name == "background")
    assert worker_args(background, "background-1@host")[-4:-2] == [
        "--without-gossip",
        "--without-heartbeat",
    ]
    app.close()


def test_product_analytics_names_probes_and_queues_reached_from_code() -> None:
    platform, app = platform_and_app("product-analytics")
    names = [s.name for s in platform.schedules]
    assert names[:3] == ["Monitor ClickHouse schema drift", "1 sec queue probe", "10 sec heartbeat"]
    probe = platform.schedules[1]
    assert (probe.every, probe.expires) == (1, 1)  # the task's expires rides the schedule
    partitions = next(s for s in platform.schedules if s.name == "update event partitions")
    thursday = datetime(2027, 5, 6, 12, 0, tzinfo=UTC)
    assert partitions.next_runs(2, thursday) == [
        datetime(2027, 5, 7, 0, 0, tzinfo=UTC),
        datetime(2027, 5, 10, 0, 0, tzinfo=UTC),
    ]
    assert queue_of(app, "analytics.celery.clickhouse_lag") == "stats"
    assert queue_of(app, "analytics.tasks.email.send_invite") == "email"
    invite = app.tasks["analytics.tasks.email.send_invite"]
    assert (invite.rate_limit, invite.max_retries) == ("10/s", 1)
    assert app.conf.broker_pool_limit == 0
    assert platform.reached_by("analytics_queries") == ()  # consumed, reached from code only
    assert [w.name for w in platform.consumers_of("analytics_queries")] == ["queries"]
    app.close()


def test_e_commerce_default_queue_expiring_tasks_and_webhook_retries() -> None:
    platform, app = platform_and_app("e-commerce")
    assert queue_of(app, "shop.order.tasks.expire_orders_task") == "celery"  # Celery's default
    reporter = "shop.plugins.webhook.tasks.observability_reporter_task"
    assert queue_of(app, reporter) == "observability"
    assert app.tasks["shop.order.tasks.expire_orders_task"].expires == 300
    search = next(s for s in platform.schedules if s.name == "update-products-search-vectors")
    assert (search.every, search.expires) == (20, 20)  # the task's expires, on beat's runs too
    webhook = app.tasks["shop.plugins.webhook.tasks.send_webhook_request_async"]
    import shoptasks

    assert webhook.autoretry_for == (shoptasks.WebhookError,)
    assert webhook.dont_autoretry_for == (shoptasks.WebhookGone,)
    assert (webhook.max_retries, webhook.retry_backoff, webhook.retry_backoff_max) == (5, 10, 600)
    app.close()
    development = load(PROJECTS / "e-commerce", "development", env={})
    assert development.platform is not None and development.platform.eager


def test_bi_tool_annotations_beat_and_the_fair_worker() -> None:
    platform, app = platform_and_app("bi-tool")
    assert {queue_of(app, t.name) for t in platform.tasks} == {"celery"}
    sql = app.tasks["sql_lab.get_sql_results"]
    assert (sql.rate_limit, sql.time_limit, sql.soft_time_limit, sql.acks_late) == (
        "100/s",
        21600,
        21540,
        False,
    )
    email = app.tasks["email_reports.send"]
    assert (email.rate_limit, email.time_limit, email.soft_time_limit) == ("1/s", 150, 120)
    assert email.ignore_result is True and sql.ignore_result is False
    minute = datetime(2027, 5, 3, 9, 0, 30, tzinfo=UTC)
    scheduler, prune = platform.schedules
    assert scheduler.next_runs(2, minute) == [
        datetime(2027, 5, 3, 9, 1, tzinfo=UTC),
        datetime(2027, 5, 3, 9, 2, tzinfo=UTC),
    ]
    assert prune.next_runs(1, minute) == [datetime(2027, 5, 4, 0, 10, tzinfo=UTC)]
    (group,) = platform.workers
    args = worker_args(group, "default-1@host")
    assert args[args.index("--concurrency") + 1] == "4" and "--optimization=fair" in args
    assert args[args.index("--prefetch-multiplier") + 1] == "1"
    assert app.conf.result_backend == "redis://127.0.0.1:6379/1"
    app.close()


def test_ci_results_routes_recycled_workers_and_errors_never_retried() -> None:
    platform, app = platform_and_app("ci-results")
    routes = {
        "app.tasks.upload.Upload": "uploads",
        "app.tasks.notify.Notify": "notify",
        "app.tasks.archive.ArchiveReport": "archive",
        "app.cron.healthcheck.HealthCheckTask": "healthcheck",
    }
    assert {task: queue_of(app, task) for task in routes} == routes
    upload = app.tasks["app.tasks.upload.UploadProcessor"]
    assert (upload.time_limit, upload.soft_time_limit, upload.max_retries) == (1200, 1080, 5)
    notify = app.tasks["app.tasks.notify.Notify"]
    assert (notify.time_limit, notify.soft_time_limit, notify.rate_limit) == (480, 400, "60/m")
    import citasks

    assert notify.autoretry_for == (ConnectionError, TimeoutError)
    assert notify.dont_autoretry_for == (citasks.ReportMalformed,)
    assert app.conf.broker_transport_options["visibility_timeout"] == 900
    health, webhooks = platform.schedules
    assert (health.name, health.every, health.expires) == ("health check task", 10, 10)
    offset = webhooks.jitter_offset
    assert 0 <= offset < 600
    assert webhooks.next_runs(1, datetime(2027, 5, 3, 8, 0, tzinfo=UTC)) == [
        datetime(2027, 5, 4, 7, offset // 60, offset % 60, tzinfo=UTC)
    ]
    uploads = next(w for w in platform.workers if w.name == "uploads")
    assert (uploads.max_tasks_per_child, uploads.prefetch_multiplier) == (1000, 1)
    assert platform.stop_timeout(uploads) == 1200 + 30  # the longest hard limit + the margin
    app.close()
