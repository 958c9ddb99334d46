"""The pollination system's own tasks, end to end: the repository's YAML, a real worker
from engine.app on a real Redis, each task's effect checked in the database or on disk."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery_process import celery_worker

from engine.config import load
from engine.runtime.app.build import build_app

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ["default", "alerts", "reports", "system"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def env(redis_server, data_dir):
    values = {
        "POLI_BROKER_URL": f"{redis_server.url}/14",
        "POLI_RESULT_BACKEND": "broker",
        "POLI_DATA_DIR": str(data_dir),
        "POLI_DATABASE_URL": f"sqlite:///{data_dir}/poli.db",
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)  # the handlers called here read the same settings
    yield values
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(scope="module")
def app(env):
    from handlers.db import dispose_engines
    from handlers.demo import load_demo

    load_demo()
    dispose_engines()
    result = load(ROOT, env=os.environ)
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    yield app
    app.close()


@pytest.fixture(scope="module")
def worker(app, env, data_dir):
    with celery_worker(
        app, ROOT, env["POLI_BROKER_URL"], QUEUES, data_dir / "w.log", **env
    ) as node:
        yield node


@pytest.fixture(scope="module")
def database(env):
    engine = sa.create_engine(env["POLI_DATABASE_URL"])
    yield engine
    engine.dispose()


def count(database, table: str) -> int:
    with database.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()


def run(app, name: str, **kwargs):
    return app.send_task(name, kwargs=kwargs).get(timeout=60)


def test_alerts_are_raised_once_per_record_event_and_day(app, worker, database):
    first = run(app, "alerts.process")
    assert first["raised"] > 0
    stored = count(database, "alerts")
    assert stored >= first["raised"]
    second = run(app, "alerts.process")
    assert second["raised"] == 0 and count(database, "alerts") == stored


def test_preventive_weekly_and_frequent_alerts(app, worker, database):
    before = count(database, "alerts")
    preventive = run(app, "alerts.preventive", days_ahead=30)
    assert preventive["upcoming_events"] > 0
    assert count(database, "alerts") == before + preventive["raised"]
    digests = run(app, "alerts.weekly")
    assert count(database, "digests") > 0 and digests
    assert isinstance(run(app, "alerts.frequent", min_alerts=2), dict)


def add_alert(database, key: str, created: str, resolved: str | None) -> int:
    with database.begin() as conn:
        row = conn.execute(
            sa.text(
                "insert into alerts (kind, severity, record_type, record_id, message, event_on, "
                "created_at, resolved_at, dedup_key) values ('test', 'info', 'pollination', 0, "
                "'made by the test', '2000-01-01', :created, :resolved, :key) returning id"
            ),
            {"created": created, "resolved": resolved, "key": key},
        )
        return row.scalar_one()


def test_cleanup_deletes_only_old_resolved_alerts(app, worker, database):
    """Its own rows (alone or in any order the table may hold no alert yet): two resolved
    long ago go, one resolved today and one never resolved stay."""
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    for n in (1, 2):
        add_alert(database, f"cleanup-old-{n}", "2000-01-01", "2000-01-02")
    recent = add_alert(database, "cleanup-recent", "2000-01-01", now)
    open_ = add_alert(database, "cleanup-open", "2000-01-01", None)
    before = count(database, "alerts")
    result = run(app, "alerts.cleanup", older_than_days=30, batch_size=1)
    assert (result["deleted"], result["batches"]) == (2, 2)
    assert count(database, "alerts") == before - 2
    with database.connect() as conn:
        left = conn.execute(sa.text("select id from alerts where dedup_key like 'cleanup-%'"))
        assert sorted(left.scalars()) == sorted([recent, open_])


def test_report_is_generated_and_exported(app, worker, database, data_dir):
    report = run(app, "reports.generate", start="2020-01-01", end="2029-12-31")
    assert report["summary"]["pollinations"]["total"] > 0
    assert count(database, "reports") >= 1
    for fmt in ("csv", "json"):
        exported = run(app, "reports.export", kind="pollinations", format=fmt)
        path = Path(exported["path"])
        assert path.parent == data_dir / "reports" and path.suffix == f".{fmt}"
        assert path.stat().st_size > 0


def test_bad_argument_fails_at_once(app, worker):
    with pytest.raises(Exception, match="days_ahead"):
        run(app, "alerts.preventive", days_ahead=-3)


def test_health_check_sees_broker_database_and_a_consumer_per_queue(app, worker):
    result = run(app, "system.health_check", min_free_disk_mb=1)
    assert result["healthy"], result
    names = {check["name"] for check in result["checks"]}
    assert {"database", "disk", "broker", *(f"queue:{q}" for q in QUEUES)} <= names


def test_health_check_raises_an_alert_when_a_queue_has_no_consumer(env, database, data_dir):
    lonely = {**env, "POLI_BROKER_URL": env["POLI_BROKER_URL"].rsplit("/", 1)[0] + "/13"}
    other = build_app(load(ROOT, env=lonely).platform)  # a broker no other worker uses
    with celery_worker(
        other, ROOT, lonely["POLI_BROKER_URL"], ["system"], data_dir / "s.log", **lonely
    ):
        result = run(other, "system.health_check", min_free_disk_mb=1)
    other.close()
    assert not result["healthy"] and "queue:alerts" in result["failed"]
    with database.connect() as conn:
        kind = conn.execute(
            sa.text("select kind from alerts where id = :i"), {"i": result["alert_id"]}
        )
        assert kind.scalar_one() == "health"


def test_log_cleanup_and_database_backup(app, worker, data_dir):
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    old, new = logs / "old.log", logs / "new.log"
    old.write_text("old"), new.write_text("new")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    result = run(app, "system.cleanup_logs", retention_days=7)
    assert result["count"] == 1 and not old.exists() and new.exists()
    first = Path(run(app, "system.backup_database", keep=1)["path"])
    second = Path(run(app, "system.backup_database", keep=1)["path"])
    assert second.exists() and not first.exists()  # rotation kept the newest one
    with sa.create_engine(f"sqlite:///{second}").connect() as conn:
        assert conn.execute(sa.text("select count(*) from pollinations")).scalar_one() > 0


def test_ping_round_trips(app, worker):
    assert run(app, "system.ping")["pong"] is True


def test_database_outage_is_retried_under_the_overlays_policy(redis_server, tmp_path):
    """An overlay (`-e fast`) shortens the retry policy; the worker loads it through
    POLI_ENVIRONMENT; a database that refuses connections is retried, then given up."""
    for name in ("queues.yaml", "tasks.yaml", "schedules.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "tasks.fast.yaml").write_text(
        "retry_policies:\n  standard: {max_retries: 2, initial: 1s, max: 1s, jitter: false}\n"
    )
    env = {
        "POLI_BROKER_URL": f"{redis_server.url}/12",
        "POLI_RESULT_BACKEND": "broker",
        "POLI_ENVIRONMENT": "fast",
        "POLI_DATA_DIR": str(tmp_path / "data"),
        "POLI_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
    }
    app = build_app(load(tmp_path, "fast", env=env).platform)
    log = tmp_path / "worker.log"
    try:
        with celery_worker(app, tmp_path, env["POLI_BROKER_URL"], ["alerts"], log, **env):
            with pytest.raises(Exception) as failure:
                app.send_task("alerts.process").get(timeout=60)
    finally:
        app.close()
    assert type(failure.value).__name__ == "TransientError"
    assert log.read_text().count("Retry in 1s") == 2  # max_retries 2, then it gives up
