"""Health checks. Each returns a Check (a JSON-safe dict): name, ok, detail.

The broker/worker part takes the Celery app as an argument, so this module never
imports Celery and the database/disk parts are testable without one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import text

from handlers import db

Check = dict[str, Any]


def check(name: str, ok: bool, detail: str) -> Check:
    return {"name": name, "ok": ok, "detail": detail}


def check_database(url: str | None = None) -> Check:
    try:
        with db.get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to answer is "unhealthy", with the reason
        return check("database", False, f"unreachable: {exc.__class__.__name__}: {exc}")
    return check("database", True, "answered SELECT 1")


def existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(path: Path, min_free_mb: float) -> Check:
    where = existing_ancestor(path)
    free_mb = shutil.disk_usage(where).free / (1024 * 1024)
    detail = f"{free_mb:.0f} MB free at {where} (minimum {min_free_mb:g} MB)"
    return check("disk", free_mb >= min_free_mb, detail)


def declared_queues(app: Any) -> list[str]:
    queues = app.conf.task_queues or ()
    names = [q if isinstance(q, str) else q.name for q in queues]
    return sorted(names) or [app.conf.task_default_queue]


def check_celery(app: Any, timeout: float = 2.0) -> list[Check]:
    """Broker reachable, and at least one worker consuming each declared queue."""
    queues = declared_queues(app)
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:
        broker = check("broker", False, f"unreachable: {exc.__class__.__name__}: {exc}")
        return [broker] + [check(f"queue:{q}", False, "broker unreachable") for q in queues]
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    consumers: dict[str, list[str]] = {}
    for worker, active in replies.items():
        for queue in active:
            consumers.setdefault(queue["name"], []).append(worker)
    checks = [check("broker", True, "connected")]
    for queue in queues:
        workers = sorted(consumers.get(queue, []))
        detail = f"consumed by {', '.join(workers)}" if workers else "no worker consumes it"
        checks.append(check(f"queue:{queue}", bool(workers), detail))
    return checks
