"""alerts.* tasks against a real database: rows raised, idempotency, escalation, cleanup."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from records_factory import TODAY, Records

from handlers import alerts as tasks
from handlers import db
from handlers.errors import InvalidArgument, TransientError
from handlers.schema import alerts, digests, pollinations

DAY = TODAY.isoformat()


def kinds(records: Records) -> list[tuple[str, str, str]]:
    return sorted((a["kind"], a["record_type"], a["severity"]) for a in records.rows(alerts))


def test_process_raises_one_alert_per_due_event(records: Records) -> None:
    records.pollination(expected_maturation_on=TODAY, expected_harvest_on=TODAY + timedelta(5))
    records.pollination(
        state="matured",
        state_since=TODAY - timedelta(5),
        matured_on=TODAY - timedelta(5),
        expected_harvest_on=TODAY - timedelta(1),
    )
    records.pollination(state="pollinated", state_since=TODAY - timedelta(31))
    records.pollination(state="harvested", expected_harvest_on=TODAY - timedelta(9))  # done
    records.germination(window_start=TODAY - timedelta(30), window_end=TODAY + timedelta(2))
    records.germination(window_start=TODAY - timedelta(40), window_end=TODAY - timedelta(1))

    result = tasks.process_alerts(today=DAY)

    assert kinds(records) == [
        ("harvest_due", "pollination", "high"),
        ("maturation_due", "pollination", "medium"),
        ("stuck", "pollination", "medium"),
        ("window_closed", "germination", "high"),
        ("window_closing", "germination", "medium"),
    ]
    assert result["raised"] == 5 and result["due_events"] == 5
    assert json.loads(json.dumps(result)) == result


def test_process_twice_raises_nothing_new(records: Records) -> None:
    records.pollination(expected_maturation_on=TODAY - timedelta(1))
    first = tasks.process_alerts(today=DAY)
    second = tasks.process_alerts(today=DAY)
    assert (first["raised"], second["raised"], second["already_open"]) == (1, 0, 1)
    assert len(records.rows(alerts)) == 1


def test_process_resolves_when_condition_is_gone_and_never_reraises_same_day(
    records: Records,
) -> None:
    pid = records.pollination(expected_maturation_on=TODAY - timedelta(1))
    tasks.process_alerts(today=DAY)
    with db.begin() as conn:
        conn.execute(pollinations.update().values(state="failed"))
    assert tasks.process_alerts(today=DAY)["resolved"] == 1
    with db.begin() as conn:  # the record comes back the same day: the dedup key holds
        conn.execute(pollinations.update().values(state="maturing"))
    again = tasks.process_alerts(today=DAY)
    assert (again["raised"], again["duplicates"]) == (0, 1)
    next_day = tasks.process_alerts(today=(TODAY + timedelta(1)).isoformat())
    assert next_day["raised"] == 1
    rows = records.rows(alerts)
    assert [(a["record_id"], a["resolved_at"] is None) for a in rows] == [(pid, False), (pid, True)]


def test_preventive_raises_low_alerts_once_per_event(records: Records) -> None:
    records.pollination(expected_maturation_on=TODAY + timedelta(3))
    records.pollination(expected_maturation_on=TODAY + timedelta(9))  # beyond 7 days
    records.germination(window_start=TODAY + timedelta(7))

    first = tasks.preventive_alerts(days_ahead=7, today=DAY)
    second = tasks.preventive_alerts(days_ahead=7, today=(TODAY + timedelta(1)).isoformat())

    assert kinds(records) == [
        ("upcoming_maturation", "pollination", "low"),
        ("upcoming_window_start", "germination", "low"),
    ]
    assert (first["raised"], second["raised"], second["duplicates"]) == (2, 0, 2)
    later = tasks.preventive_alerts(days_ahead=7, today=(TODAY + timedelta(3)).isoformat())
    assert later["resolved"] == 1  # the maturation day has come: alerts.process takes over


def test_weekly_digest_stored_per_person_and_replaced_on_rerun(records: Records) -> None:
    records.pollination(responsible="Ana", expected_maturation_on=TODAY - timedelta(1))
    records.germination(responsible="Bruno", window_start=TODAY + timedelta(2))
    tasks.process_alerts(today=DAY)

    first = tasks.weekly_digest(today=DAY)
    result = tasks.weekly_digest(today=DAY)

    by_person = {d["responsible"]: d for d in result["digests"]}
    assert result["week_start"] == (TODAY - timedelta(TODAY.weekday())).isoformat()
    assert [a["kind"] for a in by_person["Ana"]["open_alerts"]] == ["maturation_due"]
    assert by_person["Ana"]["coming"] == []
    assert [c["kind"] for c in by_person["Bruno"]["coming"]] == ["upcoming_window_start"]
    stored = records.rows(digests)
    assert sorted(d["responsible"] for d in stored) == ["Ana", "Bruno"]
    assert [d["body"] | {"id": d["id"]} for d in stored] == result["digests"]
    assert [d["responsible"] for d in first["digests"]] == ["Ana", "Bruno"]
    assert json.loads(json.dumps(result)) == result


def test_frequent_escalates_repeated_and_long_open_alerts_once(records: Records) -> None:
    now = db.utcnow()
    for days in (1, 2, 3):  # three alerts in the window, all resolved
        records.alert(record_id=7, created_at=now - timedelta(days), resolved_at=now)
    old = records.alert(record_id=8, severity="low", created_at=now - timedelta(days=5))
    records.alert(record_id=9, created_at=now - timedelta(hours=1))  # fresh: left alone

    first = tasks.escalate_frequent(min_alerts=3, window_days=14, max_open_days=3)
    second = tasks.escalate_frequent(min_alerts=3, window_days=14, max_open_days=3)

    assert (first["records"], first["escalation_alerts"], first["severity_raised"]) == (2, 1 + 1, 1)
    assert (second["escalation_alerts"], second["severity_raised"]) == (0, 0)
    escalations = records.rows(alerts, alerts.c.kind == "escalation")
    assert sorted(e["record_id"] for e in escalations) == [7, 8]
    assert records.rows(alerts, alerts.c.id == old)[0]["severity"] == "high"


def test_cleanup_deletes_old_resolved_alerts_in_batches(records: Records) -> None:
    now = db.utcnow()
    for _ in range(7):
        records.alert(created_at=now - timedelta(200), resolved_at=now - timedelta(100))
    recent = records.alert(resolved_at=now - timedelta(10))
    still_open = records.alert(created_at=now - timedelta(300))

    result = tasks.cleanup_alerts(older_than_days=90, batch_size=3)

    assert (result["deleted"], result["batches"]) == (7, 3)
    assert [a["id"] for a in records.rows(alerts)] == [recent, still_open]
    assert tasks.cleanup_alerts(older_than_days=90, batch_size=3)["deleted"] == 0


def test_racing_workers_store_one_alert(records: Records) -> None:
    row = {
        "kind": "stuck",
        "severity": "medium",
        "record_type": "pollination",
        "record_id": 1,
        "message": "race",
        "event_on": TODAY,
        "created_at": db.utcnow(),
        "dedup_key": "stuck:pollination:1:race",
    }
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: db.insert_if_absent(alerts, row), range(16)))
    assert len([i for i in ids if i is not None]) == 1
    assert len(records.rows(alerts)) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tasks.process_alerts(today="10/03/2026"), "today must be an ISO date"),
        (lambda: tasks.preventive_alerts(days_ahead=0), "days_ahead must be at least 1"),
        (lambda: tasks.preventive_alerts(days_ahead="7"), "days_ahead must be an integer"),
        (lambda: tasks.escalate_frequent(min_alerts=1), "min_alerts must be at least 2"),
        (lambda: tasks.cleanup_alerts(older_than_days=-1), "older_than_days must be at least 0"),
        (lambda: tasks.cleanup_alerts(batch_size=True), "batch_size must be an integer"),
        (lambda: tasks.weekly_digest(today=20260310), "today must be an ISO date"),
    ],
)
def test_bad_arguments_raise_invalid_argument(call, message: str, data_dir) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()


def test_unreachable_database_is_transient(data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(TransientError, match="database unavailable"):
        tasks.process_alerts()
