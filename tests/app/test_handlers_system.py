"""system.* tasks: ping, health check, log cleanup confined to its directory, backups."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from records_factory import Records

from handlers import system as tasks
from handlers.demo import load_demo
from handlers.errors import ConfigurationError, InvalidArgument
from handlers.health import check_celery
from handlers.schema import alerts

OLD = time.time() - 30 * 86400


def test_ping_is_json_safe() -> None:
    result = tasks.ping()
    assert result["pong"] is True and result["host"]
    assert json.loads(json.dumps(result)) == result


def test_health_check_healthy_without_celery(records: Records) -> None:
    result = tasks.health_check(min_free_disk_mb=1, include_celery=False)
    assert result["healthy"] is True
    assert [(c["name"], c["ok"]) for c in result["checks"]] == [("database", True), ("disk", True)]
    assert records.rows(alerts) == []


def test_unhealthy_raises_one_alert_row_per_day(records: Records) -> None:
    first = tasks.health_check(min_free_disk_mb=10**12, include_celery=False)
    second = tasks.health_check(min_free_disk_mb=10**12, include_celery=False)

    assert (first["healthy"], first["failed"]) == (False, ["disk"])
    rows = records.rows(alerts)
    assert [(a["id"], a["kind"], a["record_type"], a["severity"]) for a in rows] == [
        (first["alert_id"], "health", "system", "high")
    ]
    assert "disk:" in rows[0]["message"] and second["alert_id"] is None
    assert json.loads(json.dumps(first)) == first


def test_database_down_is_reported_not_raised(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("POLI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    result = tasks.health_check(min_free_disk_mb=1, include_celery=False)
    assert result["failed"] == ["database"] and result["alert_id"] is None


def test_celery_checks_with_unreachable_broker() -> None:
    from celery import Celery

    app = Celery("probe", broker="redis://127.0.0.1:1/0", set_as_current=False)
    app.conf.task_default_queue = "alerts"
    checks = check_celery(app, timeout=0.5)
    assert [(c["name"], c["ok"]) for c in checks] == [("broker", False), ("queue:alerts", False)]


def test_celery_checks_with_real_broker_and_no_worker(redis_url: str) -> None:
    from celery import Celery
    from kombu import Queue

    app = Celery("probe", broker=redis_url, set_as_current=False)
    app.conf.task_queues = [Queue("alerts"), Queue("system")]
    checks = check_celery(app, timeout=0.3)
    assert [(c["name"], c["ok"], c["detail"]) for c in checks] == [
        ("broker", True, "connected"),
        ("queue:alerts", False, "no worker consumes it"),
        ("queue:system", False, "no worker consumes it"),
    ]


def _file(path: Path, mtime: float = OLD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("log line\n")
    os.utime(path, (mtime, mtime))
    return path


def test_cleanup_logs_deletes_only_old_log_files_inside_the_dir(data_dir: Path) -> None:
    logs = data_dir / "logs"
    _file(logs / "worker.log")
    _file(logs / "beat.log.3")
    _file(logs / "alerts" / "worker.log.2026-01-01.gz")
    keep = [_file(logs / "fresh.log", time.time()), _file(logs / "notes.txt")]

    result = tasks.cleanup_logs(retention_days=14)

    assert result["deleted"] == ["alerts/worker.log.2026-01-01.gz", "beat.log.3", "worker.log"]
    assert all(p.exists() for p in keep) and (logs / "alerts").is_dir()
    assert tasks.cleanup_logs(retention_days=14)["count"] == 0


def test_cleanup_logs_never_follows_symlinks_out(data_dir: Path, tmp_path: Path) -> None:
    outside = [_file(tmp_path / "elsewhere" / "precious.log"), _file(data_dir / "sibling.log")]
    logs = data_dir / "logs"
    logs.mkdir(parents=True)
    (logs / "link.log").symlink_to(outside[0])
    (logs / "linked-dir").symlink_to(outside[0].parent, target_is_directory=True)
    os.utime(logs / "link.log", (OLD, OLD), follow_symlinks=False)

    result = tasks.cleanup_logs(retention_days=1)

    assert (result["count"], result["symlinks"]) == (0, 2)
    assert all(p.exists() for p in outside) and (logs / "link.log").is_symlink()


def test_cleanup_logs_resolves_dotdot_to_the_dir_itself(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    _file(data_dir / "other" / "keep.log")
    _file(data_dir / "logs" / "old.log")
    monkeypatch.setenv("POLI_LOG_DIR", str(data_dir / "other" / ".." / "logs"))
    result = tasks.cleanup_logs()
    assert result["log_dir"] == str((data_dir / "logs").resolve())
    assert result["deleted"] == ["old.log"] and (data_dir / "other" / "keep.log").exists()


def test_backup_opens_and_rotation_keeps_newest(poli_db: str, data_dir: Path) -> None:
    load_demo(today="2026-03-10")
    results = [tasks.backup_database(keep=2) for _ in range(4)]

    kept = sorted(p.name for p in (data_dir / "backups").iterdir())
    assert kept == sorted(Path(r["path"]).name for r in results[-2:])
    assert [len(r["rotated"]) for r in results] == [0, 0, 1, 1]
    newest = Path(results[-1]["path"])
    if poli_db.startswith("sqlite"):
        with sqlite3.connect(newest) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT count(*) FROM pollinations").fetchone() == (30,)
    else:
        listing = subprocess.run(["pg_restore", "--list", str(newest)], capture_output=True)
        assert b"TABLE DATA public pollinations" in listing.stdout


def test_backup_without_pg_dump_says_so(data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POLI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="pg_dump not found on PATH"):
        tasks.backup_database()


def test_backup_of_missing_sqlite_file_says_so(data_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="poli.db does not exist"):
        tasks.backup_database()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tasks.health_check(min_free_disk_mb=0), "min_free_disk_mb must be a positive"),
        (lambda: tasks.health_check(include_celery="no"), "include_celery must be true or false"),
        (lambda: tasks.cleanup_logs(retention_days=0), "retention_days must be at least 1"),
        (lambda: tasks.backup_database(keep=0), "keep must be at least 1"),
        (lambda: tasks.backup_database(keep=2.5), "keep must be an integer"),
    ],
)
def test_bad_arguments_raise_invalid_argument(call, message: str, data_dir: Path) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()
