"""System tasks: ping, health check, log cleanup, database backup.

Task names (tasks.yaml) -> functions here:
  system.ping -> ping                    system.health_check -> health_check
  system.cleanup_logs -> cleanup_logs    system.backup_database -> backup_database
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from handlers import backup, db, health, settings
from handlers.errors import ConfigurationError, TransientError
from handlers.events import dedup_key
from handlers.logfiles import delete_old_logs
from handlers.schema import alerts
from handlers.validation import boolean, positive_number, whole_number

log = logging.getLogger(__name__)


def ping() -> dict[str, Any]:
    """A probe that round-trips through a queue: who answered, and when."""
    return {
        "pong": True,
        "at": datetime.now(UTC).isoformat(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def health_check(
    min_free_disk_mb: float = 500, include_celery: bool = True, timeout: float = 2.0
) -> dict[str, Any]:
    """Database reachable, free disk under the data directory, and (with ``include_celery``)
    broker reachable with a worker on each declared queue. Unhealthy: an alert row too."""
    min_free_disk_mb = positive_number("min_free_disk_mb", min_free_disk_mb)
    timeout = positive_number("timeout", timeout)
    include_celery = boolean("include_celery", include_celery)
    checks = [health.check_database(), health.check_disk(settings.data_dir(), min_free_disk_mb)]
    if include_celery:
        from celery import current_app  # lazily: importing handlers must not import Celery

        checks += health.check_celery(current_app._get_current_object(), timeout)
    failed = [c["name"] for c in checks if not c["ok"]]
    result = {
        "healthy": not failed,
        "checked_at": datetime.now(UTC).isoformat(),
        "checks": checks,
        "failed": failed,
        "alert_id": _health_alert(checks, failed) if failed else None,
    }
    (log.warning if failed else log.info)("system.health_check: %s", result)
    return result


def _health_alert(checks: list[dict[str, Any]], failed: list[str]) -> int | None:
    """One alert per distinct set of failures per day; None if the database is down too."""
    now = db.utcnow()
    digest = hashlib.sha1(",".join(failed).encode()).hexdigest()[:12]
    details = "; ".join(f"{c['name']}: {c['detail']}" for c in checks if not c["ok"])
    row = {
        "kind": "health",
        "severity": "critical" if "database" in failed else "high",
        "record_type": "system",
        "record_id": 0,
        "message": f"unhealthy: {details}",
        "event_on": now.date(),
        "created_at": now,
        "dedup_key": f"{dedup_key('health', 'system', 0, now.date())}:{digest}",
    }
    try:
        return db.insert_if_absent(alerts, row)
    except TransientError:
        log.error("system.health_check: cannot store the alert, database down: %s", details)
        return None


def cleanup_logs(retention_days: int = 14) -> dict[str, Any]:
    """Delete log files (``*.log``, ``*.log.*``) older than ``retention_days`` in the log
    directory and its subdirectories; never outside it, never through a symlink."""
    retention_days = whole_number("retention_days", retention_days, minimum=1)
    root = settings.log_dir().resolve()
    if root == Path(root.anchor):
        raise ConfigurationError(f"refusing to clean logs in the filesystem root {root}")
    if not root.is_dir():
        log.info("system.cleanup_logs: %s does not exist, nothing to do", root)
        empty = {"deleted": [], "count": 0, "bytes": 0, "symlinks": 0, "errors": []}
        return {"log_dir": str(root), **empty}
    cutoff = time.time() - timedelta(days=retention_days).total_seconds()
    result = {"log_dir": str(root), **delete_old_logs(root, cutoff)}
    log.info("system.cleanup_logs: deleted %(count)d files (%(bytes)d bytes)", result)
    return result


def backup_database(keep: int = 7) -> dict[str, Any]:
    """Back up the database online into the backup directory, verify the copy opens,
    keep the newest ``keep`` backups. Returns the new backup's path and what was rotated."""
    keep = whole_number("keep", keep, minimum=1, maximum=1000)
    url = settings.database_url()
    directory = settings.backup_dir().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = db.sqlite_path(url)
        if source is None:
            raise ConfigurationError("an in-memory SQLite database cannot be backed up")
        suffix = ".db"
        path = backup.backup_sqlite(source, directory / f"{backup.PREFIX}{stamp}{suffix}")
    elif backend == "postgresql":
        suffix = ".dump"
        path = backup.backup_postgres(url, directory / f"{backup.PREFIX}{stamp}{suffix}")
    else:
        raise ConfigurationError(f"no backup method for {backend} databases")
    removed = backup.rotate(directory, suffix, keep)
    result = {"path": str(path), "bytes": path.stat().st_size, "rotated": removed}
    log.info("system.backup_database: %s", result)
    return result
