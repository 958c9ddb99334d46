"""Which records deserve escalation, from their alert rows. Pure: rows in, decisions out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.events import Row, dedup_key

SEVERITY_ORDER = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Escalation:
    record_type: str
    record_id: int
    responsible: str | None
    reasons: tuple[str, ...]
    open_alert_ids: tuple[int, ...]

    def alert_values(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": "escalation",
            "severity": "high",
            "record_type": self.record_type,
            "record_id": self.record_id,
            "responsible": self.responsible,
            "message": f"{self.record_type} {self.record_id} escalated: {'; '.join(self.reasons)}",
            "event_on": now.date(),
            "created_at": now,
            "dedup_key": dedup_key("escalation", self.record_type, self.record_id, now.date()),
        }


def records_to_escalate(
    rows: Iterable[Row], now: datetime, min_alerts: int, window_days: int, max_open_days: int
) -> list[Escalation]:
    """Records with >= ``min_alerts`` alerts created in the last ``window_days`` days, or
    with an alert open for more than ``max_open_days`` days."""
    by_record: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for row in rows:
        by_record[(row["record_type"], row["record_id"])].append(row)
    window_start = now - timedelta(days=window_days)
    open_limit = now - timedelta(days=max_open_days)
    found = []
    for (record_type, record_id), group in sorted(by_record.items()):
        recent = [r for r in group if r["created_at"] >= window_start]
        still_open = [r for r in group if r["resolved_at"] is None]
        reasons = []
        if len(recent) >= min_alerts:
            reasons.append(f"{len(recent)} alerts in {window_days} days")
        stale = [r for r in still_open if r["created_at"] < open_limit]
        if stale:
            reasons.append(f"{len(stale)} alert(s) open over {max_open_days} days")
        if reasons:
            responsible = next((r["responsible"] for r in group if r["responsible"]), None)
            ids = tuple(r["id"] for r in still_open)
            found.append(Escalation(record_type, record_id, responsible, tuple(reasons), ids))
    return found
