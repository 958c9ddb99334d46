"""reports.* tasks: stored summary reports, and atomic CSV/JSON exports in the reports dir."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from records_factory import TODAY, Records

from handlers import alerts as alert_tasks
from handlers import reports as tasks
from handlers.demo import load_demo
from handlers.errors import InvalidArgument
from handlers.schema import reports


def test_generate_counts_by_species_and_state_and_stores_the_report(records: Records) -> None:
    records.pollination(species="Vanda coerulea", state="maturing")
    records.pollination(species="Vanda coerulea", state="failed")
    records.pollination(species="Dendrobium nobile", state="maturing")
    records.pollination(pollinated_on=TODAY - timedelta(days=400))  # outside the period
    records.germination(species="Vanda coerulea", seeds_sown=200, seeds_germinated=50)
    records.germination(species="Vanda coerulea", seeds_sown=100, seeds_germinated=100)

    start = (TODAY - timedelta(days=365)).isoformat()
    result = tasks.generate_report(start, TODAY.isoformat())

    summary = result["summary"]
    assert summary["pollinations"] == {
        "total": 3,
        "by_state": {"failed": 1, "maturing": 2},
        "by_species": {
            "Dendrobium nobile": {"maturing": 1},
            "Vanda coerulea": {"failed": 1, "maturing": 1},
        },
    }
    vanda = summary["germinations"]["by_species"]["Vanda coerulea"]
    assert vanda == {"lots": 2, "seeds_sown": 300, "seeds_germinated": 150, "rate": 0.5}
    stored = records.rows(reports)
    assert [(r["id"], r["summary"]) for r in stored] == [(result["id"], summary)]
    assert json.loads(json.dumps(result)) == result


def test_export_records_as_csv_and_json(poli_db: str, data_dir: Path) -> None:
    load_demo(today=TODAY)
    alert_tasks.process_alerts(today=TODAY.isoformat())

    as_csv = tasks.export_report("pollinations", "csv")
    as_json = tasks.export_report("alerts", format="json")

    csv_path = Path(as_csv["path"])
    assert csv_path.parent == (data_dir / "reports").resolve()
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == as_csv["rows"] == 30
    assert rows[0]["code"] == "DEMO-P-001" and rows[0]["pollinated_on"] < TODAY.isoformat()
    alerts = json.loads(Path(as_json["path"]).read_text(encoding="utf-8"))
    assert len(alerts) == as_json["rows"] > 0
    assert {"kind", "severity", "dedup_key", "created_at"} <= set(alerts[0])
    assert not [p for p in csv_path.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_export_filters_by_period(records: Records) -> None:
    records.germination(sown_on=TODAY - timedelta(days=3))
    records.germination(sown_on=TODAY - timedelta(days=30))
    start = (TODAY - timedelta(days=7)).isoformat()
    result = tasks.export_report("germinations", "json", start=start, end=TODAY.isoformat())
    rows = json.loads(Path(result["path"]).read_text())
    assert [r["sown_on"] for r in rows] == [(TODAY - timedelta(days=3)).isoformat()]


def test_export_stored_report(records: Records) -> None:
    records.pollination(species="Vanda coerulea", state="failed")
    report = tasks.generate_report("2025-01-01", "2026-12-31")

    as_json = tasks.export_report("report", "json", report_id=report["id"])
    as_csv = tasks.export_report("report", "csv")  # the newest report

    stored = json.loads(Path(as_json["path"]).read_text())
    assert stored["id"] == report["id"] and stored["summary"] == report["summary"]
    lines = Path(as_csv["path"]).read_text().splitlines()
    assert lines[0] == "key,value"
    assert "pollinations.by_species.Vanda coerulea.failed,1" in lines


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tasks.generate_report("2026-02-01", "2026-01-01"), "end .* is before start"),
        (lambda: tasks.generate_report("yesterday", "2026-01-01"), "start must be an ISO date"),
        (lambda: tasks.generate_report("2000-01-01", "2026-01-01"), "at most 3660 days"),
        (lambda: tasks.export_report("plants"), "kind must be one of alerts, germinations"),
        (lambda: tasks.export_report("alerts", "xml"), "format must be one of csv, json"),
        (lambda: tasks.export_report("alerts", "xlsx"), "xlsx is not supported"),
        (lambda: tasks.export_report("alerts", report_id=1), "report_id applies only"),
        (lambda: tasks.export_report("report", report_id=0), "report_id must be at least 1"),
        (lambda: tasks.export_report("report", start="2026-01-01"), "start/end apply"),
        (lambda: tasks.export_report("report", report_id=99), "no report with id 99"),
        (lambda: tasks.export_report("alerts", start="2026-01-01"), "start and end go together"),
    ],
)
def test_bad_arguments_raise_invalid_argument(call, message: str, poli_db: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()
