"""Weekly digests: one body per responsible person, stored (replacing the week's previous)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete

from handlers import db
from handlers.escalation import SEVERITY_ORDER
from handlers.events import Event, Row
from handlers.records import jsonable
from handlers.schema import digests


def digest_body(
    person: str, week_start: date, still_open: list[Row], coming: list[Event]
) -> dict[str, Any]:
    mine = [jsonable(a) for a in still_open if a["responsible"] == person]
    rank = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    mine.sort(key=lambda a: (rank.get(a["severity"], 9), a["id"]))
    upcoming = [
        {
            "kind": e.kind,
            "record_type": e.record_type,
            "record_id": e.record_id,
            "on": e.on.isoformat(),
            "message": e.message,
        }
        for e in sorted(coming, key=lambda e: (e.on, e.record_type, e.record_id))
        if e.responsible == person
    ]
    return {
        "responsible": person,
        "week_start": week_start.isoformat(),
        "open_alerts": mine,
        "coming": upcoming,
    }


def store_digests(week_start: date, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stored = []
    with db.begin() as conn:
        conn.execute(delete(digests).where(digests.c.week_start == week_start))
        for body in bodies:
            row = {
                "week_start": week_start,
                "responsible": body["responsible"],
                "created_at": db.utcnow(),
                "body": body,
            }
            digest_id = conn.execute(digests.insert().values(**row)).inserted_primary_key[0]
            stored.append({"id": digest_id, **body})
    return stored
