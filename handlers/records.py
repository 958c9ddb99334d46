"""Reads shared by the tasks: open records, open alerts, alert rows as JSON-safe dicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from handlers.events import OPEN_GERMINATION_STATES, OPEN_POLLINATION_STATES, Row
from handlers.schema import alerts, germinations, pollinations


def open_records(conn: Connection) -> tuple[list[Row], list[Row]]:
    """Pollinations and germinations that are still in progress."""
    pol = conn.execute(
        select(pollinations).where(pollinations.c.state.in_(OPEN_POLLINATION_STATES))
    )
    ger = conn.execute(
        select(germinations).where(germinations.c.state.in_(OPEN_GERMINATION_STATES))
    )
    return list(pol.mappings()), list(ger.mappings())


def open_alerts(conn: Connection, kinds: tuple[str, ...] | None = None) -> list[Row]:
    query = select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
    if kinds is not None:
        query = query.where(alerts.c.kind.in_(kinds))
    return list(conn.execute(query).mappings())


def jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as a JSON-safe dict: dates and times become ISO strings."""
    return {key: _json_value(value) for key, value in row.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    return value
