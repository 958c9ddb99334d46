"""Schema creation, demo data, and the promise that handler modules never import Celery."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from records_factory import TODAY, Records
from sqlalchemy import inspect

from handlers import alerts as alert_tasks
from handlers import db, events
from handlers.demo import load_demo
from handlers.schema import alerts, germinations, pollinations

ROOT = Path(__file__).resolve().parents[2]


def test_init_db_creates_parent_dir_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'poli.db'}"
    first = db.init_db(url)
    second = db.init_db(url)
    assert first == second
    assert first["tables"] == ["alerts", "digests", "germinations", "pollinations", "reports"]
    assert sorted(inspect(db.get_engine(url)).get_table_names()) == first["tables"]


def test_default_database_lives_in_the_data_dir(data_dir: Path) -> None:
    db.init_db()
    assert (data_dir / "poli.db").is_file()


def test_demo_raises_alerts_and_reloads_in_place(records: Records) -> None:
    loaded = load_demo(today=TODAY)
    raised = alert_tasks.process_alerts(today=TODAY.isoformat())
    upcoming = alert_tasks.preventive_alerts(today=TODAY.isoformat())
    again = load_demo(today=TODAY.isoformat())

    assert (
        (loaded["pollinations"], loaded["germinations"])
        == (30, 20)
        == (
            again["pollinations"],
            again["germinations"],
        )
    )
    assert raised["raised"] >= 10 and upcoming["raised"] >= 5
    assert set(raised["raised_by_kind"]) == set(events.SEVERITY)
    assert (len(records.rows(pollinations)), len(records.rows(germinations))) == (30, 20)
    assert records.rows(alerts) == []  # the demo's alerts went with its records
    people = {r["responsible"] for r in records.rows(pollinations)}
    assert len(people) >= 3


def test_handler_modules_import_without_celery() -> None:
    code = (
        "import sys, handlers.alerts, handlers.reports, handlers.system, handlers.db, "
        "handlers.demo; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('celery', 'kombu', 'engine')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr


days = st.integers(min_value=-400, max_value=400)


@st.composite
def pollination_rows(draw: st.DrawFn) -> dict:
    base = date(2026, 1, 1)
    maybe = st.one_of(st.none(), days.map(lambda d: base + timedelta(d)))
    return {
        "id": 0,  # numbered below: ids are unique in a table
        "code": "P",
        "responsible": "Ana",
        "state": draw(
            st.sampled_from(["pollinated", "maturing", "matured", "harvested", "failed"])
        ),
        "state_since": base + timedelta(draw(days)),
        "expected_maturation_on": draw(maybe),
        "matured_on": draw(maybe),
        "expected_harvest_on": draw(maybe),
        "harvested_on": draw(maybe),
    }


@given(st.lists(pollination_rows(), max_size=8), days, st.integers(1, 60))
def test_events_respect_states_and_horizons(rows: list, offset: int, ahead: int) -> None:
    rows = [row | {"id": i} for i, row in enumerate(rows, 1)]
    today = date(2026, 1, 1) + timedelta(offset)
    due = events.due_events(rows, [], today)
    coming = events.upcoming_events(rows, [], today, ahead)
    closed = {r["id"] for r in rows if r["state"] in ("harvested", "failed")}
    assert not {e.record_id for e in due + coming} & closed
    assert all(e.on <= today for e in due)
    assert all(today < e.on <= today + timedelta(ahead) for e in coming)
    keys = [events.dedup_key(e.kind, e.record_type, e.record_id, today) for e in due]
    assert len(keys) == len(set(keys))


def test_every_task_in_tasks_yaml_is_a_documented_function_with_json_defaults() -> None:
    """tasks.yaml is the one registry of tasks: each handler it names is a real function."""
    import inspect as pyinspect
    import json

    from engine.config import load
    from engine.imports import import_handler

    platform = load(ROOT, env={}).platform
    assert platform is not None and platform.tasks
    for task in platform.tasks:
        name, func = task.name, import_handler(task.handler)
        defaults = {
            p.name: p.default
            for p in pyinspect.signature(func).parameters.values()
            if p.default is not p.empty
        }
        assert json.loads(json.dumps(defaults)) == defaults, name
        assert func.__doc__, name
