"""Databases for the handler tests: SQLite in tmp_path always, and PostgreSQL on
127.0.0.1:5432 when it answers, in a database this session creates and drops."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers import db
from handlers.schema import alerts, germinations, metadata, pollinations

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


TODAY = date(2026, 3, 10)


class Records:
    """Inserts pollinations, germinations and alerts with sensible defaults."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _insert(self, table: Any, row: dict[str, Any]) -> int:
        with db.begin(self.url) as conn:
            return conn.execute(table.insert().values(**row)).inserted_primary_key[0]

    def pollination(self, **values: Any) -> int:
        n = secrets.token_hex(4)
        row = {
            "code": f"P-{n}",
            "species": "Cattleya labiata",
            "mother_plant": "CATT-01",
            "father_plant": "CATT-41",
            "pollinated_on": TODAY - timedelta(days=100),
            "responsible": "Ana",
            "expected_maturation_on": TODAY + timedelta(days=50),
            "expected_harvest_on": TODAY + timedelta(days=60),
            "state": "maturing",
            "state_since": TODAY - timedelta(days=70),
        }
        return self._insert(pollinations, row | values)

    def germination(self, **values: Any) -> int:
        row = {
            "code": f"G-{secrets.token_hex(4)}",
            "species": "Cattleya labiata",
            "seed_lot": "LOT-1",
            "responsible": "Bruno",
            "sown_on": TODAY - timedelta(days=10),
            "window_start": TODAY + timedelta(days=10),
            "window_end": TODAY + timedelta(days=50),
            "seeds_sown": 100,
            "seeds_germinated": 0,
            "state": "sown",
            "state_since": TODAY - timedelta(days=10),
        }
        return self._insert(germinations, row | values)

    def alert(self, **values: Any) -> int:
        row = {
            "kind": "stuck",
            "severity": "medium",
            "record_type": "pollination",
            "record_id": 1,
            "responsible": "Ana",
            "message": "test",
            "event_on": TODAY,
            "created_at": db.utcnow(),
            "dedup_key": f"test:{secrets.token_hex(8)}",
        }
        return self._insert(alerts, row | values)

    def rows(self, table: Any, *where: Any) -> list[Any]:
        with db.begin(self.url) as conn:
            return list(conn.execute(select(table).where(*where).order_by(table.c.id)).mappings())


@pytest.fixture
def records(poli_db: str) -> Records:
    return Records(poli_db)
