"""Beat's schedule objects: their own time zone, and what a missed run does."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from celery import Celery

from engine.runtime.beat import ZonedCrontab


def crontab(catchup: str, zone: str = "UTC", now: datetime | None = None) -> ZonedCrontab:
    now = now or datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    app = Celery(set_as_current=False)
    return ZonedCrontab(
        "0", "9", "*", "*", "*", zone=zone, catchup=catchup, nowfun=lambda: now, app=app
    )


def test_a_run_missed_while_down_is_sent_once_with_catchup_once():
    due, _ = crontab("once").is_due(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert due


def test_a_run_missed_while_down_is_dropped_with_catchup_skip():
    due, next_in = crontab("skip").is_due(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert not due
    assert next_in == timedelta(hours=21).total_seconds()  # tomorrow 09:00


def test_a_run_that_is_due_now_still_runs_with_catchup_skip():
    now = datetime(2026, 11, 26, 9, 0, 5, tzinfo=UTC)
    due, _ = crontab("skip", now=now).is_due(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert due


def test_the_schedule_fires_in_its_own_time_zone():
    now = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # 08:30 in Madrid
    schedule = crontab("once", "Europe/Madrid", now)
    remaining = schedule.remaining_estimate(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    assert remaining == timedelta(minutes=30)  # 09:00 Madrid = 08:00 UTC


def test_it_survives_beats_state_file():
    schedule = pickle.loads(pickle.dumps(crontab("skip", "Europe/Madrid")))
    assert (schedule.zone, schedule.catchup, schedule.hour) == ("Europe/Madrid", "skip", {9})


def test_a_schedule_removed_from_the_yaml_stops_firing(tmp_path):
    """Beat's state file remembers old entries; the configured schedule must win."""
    from celery.beat import PersistentScheduler as PoliScheduler  # what engine.app's beat uses
    from celery.schedules import schedule as interval

    state = str(tmp_path / "celerybeat-schedule")
    entries = {name: {"task": "system.ping", "schedule": interval(60)} for name in ("a", "b")}
    first = Celery(set_as_current=False, broker="memory://")
    first.conf.beat_schedule = entries
    PoliScheduler(app=first, schedule_filename=state).close()
    second = Celery(set_as_current=False, broker="memory://")
    second.conf.beat_schedule = {"a": entries["a"]}
    scheduler = PoliScheduler(app=second, schedule_filename=state)
    try:
        assert "a" in scheduler.schedule and "b" not in scheduler.schedule
    finally:
        scheduler.close()
