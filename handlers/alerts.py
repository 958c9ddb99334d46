"""Alert tasks: raise due and upcoming alerts, weekly digests, escalation, cleanup.

Task names (tasks.yaml) -> functions here:
  alerts.process    -> process_alerts       alerts.weekly  -> weekly_digest
  alerts.preventive -> preventive_alerts    alerts.frequent -> escalate_frequent
  alerts.cleanup    -> cleanup_alerts
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from handlers import db
from handlers.digest import digest_body, store_digests
from handlers.escalation import records_to_escalate
from handlers.events import SEVERITY, Event, dedup_key, due_events, upcoming_events
from handlers.records import open_alerts, open_records
from handlers.schema import alerts
from handlers.validation import optional_date, whole_number

log = logging.getLogger(__name__)

DUE_KINDS = tuple(SEVERITY)
UPCOMING_KINDS = (
    "upcoming_maturation",
    "upcoming_harvest",
    "upcoming_window_start",
    "upcoming_window_end",
)


def _alert_values(event: Event, severity: str, day: date) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "severity": severity,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "responsible": event.responsible,
        "message": event.message,
        "event_on": event.on,
        "created_at": db.utcnow(),
        "dedup_key": dedup_key(event.kind, event.record_type, event.record_id, day),
    }


def _raise_all(values: Iterable[dict[str, Any]]) -> tuple[Counter[str], int]:
    """Insert each alert unless its dedup key exists; (raised per kind, duplicates)."""
    raised: Counter[str] = Counter()
    duplicates = 0
    for row in values:
        if db.insert_if_absent(alerts, row) is None:
            duplicates += 1
        else:
            raised[row["kind"]] += 1
    return raised, duplicates


def _update(alert_ids: list[int], condition: Any, **values: Any) -> int:
    """Set `values` on the listed alerts that meet `condition`; how many changed."""
    if not alert_ids:
        return 0
    with db.begin() as conn:
        stmt = update(alerts).where(alerts.c.id.in_(alert_ids), condition).values(**values)
        return conn.execute(stmt).rowcount


def _resolve(alert_ids: list[int]) -> int:
    return _update(alert_ids, alerts.c.resolved_at.is_(None), resolved_at=db.utcnow())


def process_alerts(today: str | None = None) -> dict[str, Any]:
    """Raise alerts for due events (maturation/harvest reached, germination windows closing
    or closed, records stuck in a state) and resolve open ones whose condition is gone.

    One alert per record and event while it stays open; never two for the same record,
    event and day (``today`` defaults to the current UTC date).
    """
    day = optional_date("today", today, db.utcnow().date())
    with db.begin() as conn:
        pols, gers = open_records(conn)
        still_open = open_alerts(conn, DUE_KINDS)
    events = due_events(pols, gers, day)
    open_by_subject = {(a["kind"], a["record_type"], a["record_id"]): a["id"] for a in still_open}
    subjects = {(e.kind, e.record_type, e.record_id) for e in events}
    fresh = [e for e in events if (e.kind, e.record_type, e.record_id) not in open_by_subject]
    raised, duplicates = _raise_all(_alert_values(e, e.severity, day) for e in fresh)
    gone = [aid for subject, aid in open_by_subject.items() if subject not in subjects]
    resolved = _resolve(gone)
    result = {
        "today": day.isoformat(),
        "due_events": len(events),
        "raised": sum(raised.values()),
        "raised_by_kind": dict(sorted(raised.items())),
        "already_open": len(events) - len(fresh),
        "duplicates": duplicates,
        "resolved": resolved,
    }
    log.info("alerts.process: %s", result)
    return result


def preventive_alerts(days_ahead: int = 7, today: str | None = None) -> dict[str, Any]:
    """Raise a low-severity alert for each event in the next ``days_ahead`` days, once per
    record, event and event day; resolve earlier ones whose day has come."""
    days_ahead = whole_number("days_ahead", days_ahead, minimum=1, maximum=366)
    day = optional_date("today", today, db.utcnow().date())
    with db.begin() as conn:
        pols, gers = open_records(conn)
        earlier = open_alerts(conn, UPCOMING_KINDS)
    events = upcoming_events(pols, gers, day, days_ahead)
    raised, duplicates = _raise_all(_alert_values(e, "low", e.on) for e in events)
    resolved = _resolve([a["id"] for a in earlier if a["event_on"] <= day])
    result = {
        "today": day.isoformat(),
        "days_ahead": days_ahead,
        "upcoming_events": len(events),
        "raised": sum(raised.values()),
        "raised_by_kind": dict(sorted(raised.items())),
        "duplicates": duplicates,
        "resolved": resolved,
    }
    log.info("alerts.preventive: %s", result)
    return result


def weekly_digest(today: str | None = None) -> dict[str, Any]:
    """Build, store and return one digest per responsible person for the week of ``today``:
    their open alerts and what is coming in the next seven days. Re-running replaces them."""
    day = optional_date("today", today, db.utcnow().date())
    week_start = day - timedelta(days=day.weekday())
    with db.begin() as conn:
        pols, gers = open_records(conn)
        still_open = open_alerts(conn)
    coming = upcoming_events(pols, gers, day, 7)
    people = sorted(
        {r["responsible"] for r in [*pols, *gers]}
        | {a["responsible"] for a in still_open if a["responsible"]}
    )
    bodies = [digest_body(p, week_start, still_open, coming) for p in people]
    stored = store_digests(week_start, bodies)
    log.info("alerts.weekly: %d digests for week of %s", len(stored), week_start)
    return {"week_start": week_start.isoformat(), "digests": stored}


def escalate_frequent(
    min_alerts: int = 3, window_days: int = 14, max_open_days: int = 3
) -> dict[str, Any]:
    """Escalate records with at least ``min_alerts`` alerts in ``window_days`` days or an
    alert open longer than ``max_open_days``: their open alerts go up to 'high' and one
    'escalation' alert (severity high) is raised per record and day."""
    min_alerts = whole_number("min_alerts", min_alerts, minimum=2)
    window_days = whole_number("window_days", window_days, minimum=1, maximum=3660)
    max_open_days = whole_number("max_open_days", max_open_days, minimum=1, maximum=3660)
    now = db.utcnow()
    since = now - timedelta(days=window_days)
    with db.begin() as conn:
        query = select(alerts).where(
            alerts.c.record_type != "system",
            alerts.c.kind != "escalation",
            (alerts.c.resolved_at.is_(None)) | (alerts.c.created_at >= since),
        )
        rows = list(conn.execute(query).mappings())
    targets = records_to_escalate(rows, now, min_alerts, window_days, max_open_days)
    raised_severity = _raise_severity([aid for t in targets for aid in t.open_alert_ids])
    values = [t.alert_values(now) for t in targets]
    raised, duplicates = _raise_all(values)
    result = {
        "records": len(targets),
        "escalation_alerts": sum(raised.values()),
        "duplicates": duplicates,
        "severity_raised": raised_severity,
    }
    log.info("alerts.frequent: %s", result)
    return result


def _raise_severity(alert_ids: list[int]) -> int:
    return _update(alert_ids, alerts.c.severity.in_(("low", "medium")), severity="high")


def cleanup_alerts(older_than_days: int = 90, batch_size: int = 500) -> dict[str, Any]:
    """Delete alerts resolved more than ``older_than_days`` days ago, ``batch_size`` rows
    per transaction so a large backlog never holds one long lock."""
    older_than_days = whole_number("older_than_days", older_than_days, minimum=0)
    batch_size = whole_number("batch_size", batch_size, minimum=1, maximum=100_000)
    cutoff = db.utcnow() - timedelta(days=older_than_days)
    deleted = batches = 0
    while True:
        with db.begin() as conn:
            ids = list(
                conn.scalars(
                    select(alerts.c.id)
                    .where(alerts.c.resolved_at.is_not(None), alerts.c.resolved_at < cutoff)
                    .order_by(alerts.c.id)
                    .limit(batch_size)
                )
            )
            if ids:
                deleted += conn.execute(delete(alerts).where(alerts.c.id.in_(ids))).rowcount
                batches += 1
        if len(ids) < batch_size:
            break
    result = {"deleted": deleted, "batches": batches, "cutoff": cutoff.isoformat() + "Z"}
    log.info("alerts.cleanup: %s", result)
    return result
