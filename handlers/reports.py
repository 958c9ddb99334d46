"""Report tasks: generate and store a summary report; export records or a report to a file.

Task names (tasks.yaml) -> functions here:
  reports.generate -> generate_report       reports.export -> export_report
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from handlers import db, settings
from handlers.errors import InvalidArgument
from handlers.files import atomic_open
from handlers.records import jsonable
from handlers.schema import alerts, germinations, pollinations, reports
from handlers.summary import flatten, summarize
from handlers.validation import iso_date, one_of, whole_number

log = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 3660
# kind -> (table, the column a start/end period filters on)
EXPORTABLE = {
    "pollinations": (pollinations, "pollinated_on"),
    "germinations": (germinations, "sown_on"),
    "alerts": (alerts, "created_at"),
}
EXPORT_KINDS = (*EXPORTABLE, "report")
FORMATS = ("csv", "json")


def _period(start: object, end: object) -> tuple[date, date]:
    if (start is None) != (end is None):
        raise InvalidArgument("start and end go together: give both or neither")
    first, last = iso_date("start", start), iso_date("end", end)
    if last < first:
        raise InvalidArgument(f"end ({last}) is before start ({first})")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidArgument(f"the period may span at most {MAX_PERIOD_DAYS} days")
    return first, last


def generate_report(start: str, end: str) -> dict[str, Any]:
    """Summarise ``start``..``end`` (ISO dates, inclusive), store it, return id and summary."""
    first, last = _period(start, end)
    with db.begin() as conn:
        summary = summarize(conn, first, last)
        row = {
            "kind": "summary",
            "period_start": first,
            "period_end": last,
            "created_at": db.utcnow(),
            "summary": summary,
        }
        report_id = conn.execute(reports.insert().values(**row)).inserted_primary_key[0]
    log.info(
        "reports.generate: report %s for %s..%s (%d pollinations, %d germination lots)",
        report_id, first, last, summary["pollinations"]["total"], summary["germinations"]["lots"],
    )  # fmt: skip
    return {"id": report_id, "summary": summary}


def export_report(
    kind: str,
    format: str = "csv",
    report_id: int | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """Export ``pollinations``, ``germinations`` or ``alerts`` (optionally only ``start``..
    ``end``), or a stored ``report`` (``report_id``, default the newest), as CSV or JSON
    into the reports directory. Returns the path written and the number of rows."""
    kind = one_of("kind", kind, EXPORT_KINDS)
    if format == "xlsx":
        raise InvalidArgument("format xlsx is not supported; use csv or json")
    fmt = one_of("format", format, FORMATS)
    if kind == "report":
        if start is not None or end is not None:
            raise InvalidArgument("start/end apply to record exports, not to kind=report")
        if report_id is not None:
            report_id = whole_number("report_id", report_id, minimum=1)
    elif report_id is not None:
        raise InvalidArgument("report_id applies only to kind=report")
    period = _period(start, end) if start is not None or end is not None else None
    with db.begin() as conn:
        if kind == "report":
            export = _report_export(conn, report_id)
        else:
            export = _records_export(conn, kind, period)
    stamp = db.utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    path = (settings.reports_dir() / f"{export.name}-{stamp}.{fmt}").resolve()
    if fmt == "json":
        _write_json(path, export.document)
    else:
        _write_csv(path, export.columns, export.rows)
    result = {"path": str(path), "kind": kind, "format": fmt, "rows": len(export.rows)}
    log.info("reports.export: wrote %s (%d rows)", path, len(export.rows))
    return result


@dataclass(frozen=True)
class Export:
    name: str  # file name stem
    columns: list[str]  # CSV header
    rows: list[dict[str, Any]]  # CSV rows (JSON-safe values)
    document: Any  # what the JSON file holds


def _records_export(conn: Connection, kind: str, period: tuple[date, date] | None) -> Export:
    table, column = EXPORTABLE[kind]
    query = select(table).order_by(table.c.id)
    if period is not None:
        first, last = period
        if column == "created_at":
            until = datetime.combine(last + timedelta(days=1), time())
            query = query.where(table.c[column] >= datetime.combine(first, time()))
            query = query.where(table.c[column] < until)
        else:
            query = query.where(table.c[column].between(first, last))
    rows = [jsonable(row) for row in conn.execute(query).mappings()]
    return Export(kind, [c.name for c in table.columns], rows, rows)


def _report_export(conn: Connection, report_id: int | None) -> Export:
    query = select(reports).order_by(reports.c.id.desc()).limit(1)
    if report_id is not None:
        query = select(reports).where(reports.c.id == report_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        which = f"with id {report_id}" if report_id is not None else "stored yet"
        raise InvalidArgument(f"no report {which}")
    report = jsonable(row)
    rows = [{"key": key, "value": value} for key, value in flatten(report["summary"])]
    return Export(f"report-{report['id']}", ["key", "value"], rows, report)


def _write_json(path: Path, document: Any) -> None:
    with atomic_open(path) as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
