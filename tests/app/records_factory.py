"""Inserting test records with sensible defaults (a plain module, so tests import it)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from handlers import db
from handlers.schema import alerts, germinations, pollinations

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
