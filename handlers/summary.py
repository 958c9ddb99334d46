"""The summary report: pollinations by species and state, germination rates, alerts.

Counting happens in SQL (GROUP BY, portable Core); shaping the result is pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from handlers.schema import alerts, germinations, pollinations


def summarize(conn: Connection, start: date, end: date) -> dict[str, Any]:
    """Everything pollinated, sown or alerted between ``start`` and ``end`` (inclusive)."""
    p = pollinations.c
    pol_rows = conn.execute(
        select(p.species, p.state, func.count().label("n"))
        .where(p.pollinated_on.between(start, end))
        .group_by(p.species, p.state)
    ).mappings()
    g = germinations.c
    ger_rows = conn.execute(
        select(
            g.species,
            g.state,
            func.count().label("lots"),
            func.sum(g.seeds_sown).label("sown"),
            func.sum(g.seeds_germinated).label("germinated"),
        )
        .where(g.sown_on.between(start, end))
        .group_by(g.species, g.state)
    ).mappings()
    a = alerts.c
    until = datetime.combine(end + timedelta(days=1), time())
    alert_rows = conn.execute(
        select(a.kind, a.severity, func.count().label("n"))
        .where(a.created_at >= datetime.combine(start, time()), a.created_at < until)
        .group_by(a.kind, a.severity)
    ).mappings()
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "pollinations": pollination_summary(pol_rows),
        "germinations": germination_summary(ger_rows),
        "alerts": alert_summary(alert_rows),
    }


def _nested_count(rows: Iterable[Mapping[str, Any]], outer: str, inner: str) -> dict:
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket = result.setdefault(row[outer], {})
        bucket[row[inner]] = bucket.get(row[inner], 0) + int(row["n"])
    return {key: dict(sorted(value.items())) for key, value in sorted(result.items())}


def pollination_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    by_state: dict[str, int] = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + int(row["n"])
    return {
        "total": sum(by_state.values()),
        "by_state": dict(sorted(by_state.items())),
        "by_species": _nested_count(rows, "species", "state"),
    }


def _rate(germinated: int, sown: int) -> float | None:
    return round(germinated / sown, 4) if sown else None


GERMINATION_TOTALS = ("lots", "seeds_sown", "seeds_germinated")


def germination_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    species: dict[str, dict[str, int]] = {}
    by_state: dict[str, int] = {}
    for row in rows:
        totals = species.setdefault(row["species"], dict.fromkeys(GERMINATION_TOTALS, 0))
        totals["lots"] += int(row["lots"])
        totals["seeds_sown"] += int(row["sown"] or 0)
        totals["seeds_germinated"] += int(row["germinated"] or 0)
        by_state[row["state"]] = by_state.get(row["state"], 0) + int(row["lots"])
    sown = sum(t["seeds_sown"] for t in species.values())
    germinated = sum(t["seeds_germinated"] for t in species.values())
    return {
        "lots": sum(by_state.values()),
        "seeds_sown": sown,
        "seeds_germinated": germinated,
        "rate": _rate(germinated, sown),
        "by_state": dict(sorted(by_state.items())),
        "by_species": {
            name: {**t, "rate": _rate(t["seeds_germinated"], t["seeds_sown"])}
            for name, t in sorted(species.items())
        },
    }


def alert_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = [dict(r, n=int(r["n"])) for r in rows]
    by_severity: dict[str, int] = {}
    for row in rows:
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["n"]
    return {
        "raised": sum(by_severity.values()),
        "by_severity": dict(sorted(by_severity.items())),
        "by_kind": {k: sum(v.values()) for k, v in _nested_count(rows, "kind", "severity").items()},
    }


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A nested summary as (dotted path, leaf value) rows, for CSV."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, Any]] = []
        for key, inner in value.items():
            rows += flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return rows
    return [(prefix, value)]
