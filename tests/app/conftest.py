"""Databases for the handler tests: SQLite in tmp_path always, and PostgreSQL on
127.0.0.1:5432 when it answers, in a database this session creates and drops."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from records_factory import Records  # noqa: E402

from handlers import db  # noqa: E402
from handlers.schema import metadata  # noqa: E402

PG_HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("POLI_TEST_PG_PORT", "5432"))  # another port: see the skip path


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database of this session's own, dropped afterwards."""
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}; PostgreSQL cases skipped")
    import psycopg

    name = f"poli_test_{secrets.token_hex(6)}"
    admin = dict(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        db.dispose_engines()
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'poli.db'}"
    url = request.getfixturevalue("pg_database")
    db.init_db(url)
    with db.get_engine(url).begin() as conn:  # our own database: empty it for this test
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return url


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """POLI_DATA_DIR in tmp_path; the other directories default beneath it."""
    for name in ("POLI_DATABASE_URL", "POLI_REPORTS_DIR", "POLI_LOG_DIR", "POLI_BACKUP_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def poli_db(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tasks' database (POLI_DATABASE_URL), schema created and empty."""
    monkeypatch.setenv("POLI_DATABASE_URL", database_url)
    db.init_db(database_url)
    return database_url


@pytest.fixture
def records(poli_db: str) -> Records:
    return Records(poli_db)
