"""Engines (one per URL, cached), schema creation, and the one place database errors
are translated: connection trouble becomes TransientError so the engine retries it."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url, select
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError, ProgrammingError

from handlers import settings
from handlers.errors import TransientError
from handlers.schema import metadata

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


def utcnow() -> datetime:
    """Naive UTC, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the hourly writer
    cursor.close()


def _connect_args(url: str) -> dict[str, Any]:
    # Fail fast (and retry later) rather than hang a worker on an unreachable server.
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        return {"connect_timeout": 10}
    return {}


def get_engine(url: str | None = None) -> Engine:
    """The cached engine for ``url`` (default: settings.database_url())."""
    url = url or settings.database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(engine, "connect", _enable_sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url))
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before dropping a database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _ready.clear()


@contextmanager
def transient_errors() -> Iterator[None]:
    """Re-raise 'database unavailable' as TransientError, which the retry policy retries."""
    try:
        yield
    except (OperationalError, DisconnectionError) as exc:
        log.warning("database unavailable: %s", exc)
        raise TransientError(f"database unavailable: {exc}") from exc


def _forget_pools_after_fork() -> None:
    # A prefork worker child must not reuse its parent's connections (SQLAlchemy's advice
    # for multiprocessing): give every cached engine a fresh pool, leave the parent's open.
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


def init_db(url: str | None = None) -> dict[str, Any]:
    """Create the schema if missing (idempotent). Returns the URL (no password) and tables."""
    engine = get_engine(url)
    with transient_errors():
        try:
            metadata.create_all(engine)
        except (ProgrammingError, IntegrityError):
            # Two workers creating a fresh schema at once: one loses; the tables now exist.
            metadata.create_all(engine)
    _ready.add(engine.url.render_as_string(hide_password=False))
    log.info("schema ready on %s", engine.url)
    return {"url": engine.url.render_as_string(), "tables": sorted(metadata.tables)}


@contextmanager
def begin(url: str | None = None) -> Iterator[Connection]:
    """A transaction on a database whose schema exists; commits on success."""
    engine = get_engine(url)
    if engine.url.render_as_string(hide_password=False) not in _ready:
        init_db(url)
    with transient_errors(), engine.begin() as conn:
        yield conn


def insert_if_absent(table: Table, values: Mapping[str, Any], url: str | None = None) -> int | None:
    """Insert a row unless one with the same ``dedup_key`` exists; return the new id or None.

    Portable: a unique constraint decides, so two workers racing on SQLite or PostgreSQL
    still store one row. Each insert has its own transaction because a failed statement
    aborts a PostgreSQL transaction.
    """
    key = table.c.dedup_key
    with begin(url) as conn:
        if conn.execute(select(key).where(key == values["dedup_key"])).first():
            return None
    try:
        with begin(url) as conn:
            return conn.execute(table.insert().values(**values)).inserted_primary_key[0]
    except IntegrityError:
        with begin(url) as conn:
            if conn.execute(select(key).where(key == values["dedup_key"])).first():
                return None  # lost a race to another worker: the row is there, as wanted
        raise
