"""Beat's schedule objects for Celery: their own time zone, catchup, and the state file."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from celery import Celery
from model_values import schedule as make_schedule

from engine.runtime.beat.schedule import ZonedCron, celery_schedule


def crontab(catchup: str, zone: str = "UTC", now: datetime | None = None) -> ZonedCron:
    now = now or datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    rule = make_schedule(
        "daily", "system.ping", "system", cron="0 9 * * *", timezone=zone, catchup=catchup
    )
    return ZonedCron(rule, nowfun=lambda: now, app=Celery(set_as_current=False))


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


def test_a_deadline_sends_a_miss_that_is_recent_enough():
    now = datetime(2026, 11, 26, 9, 9, tzinfo=UTC)
    last = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert crontab("10m", now=now).is_due(last)[0]
    assert not crontab("5m", now=now).is_due(last)[0]


def test_the_schedule_fires_in_its_own_time_zone():
    now = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)  # 08:30 in Madrid
    schedule = crontab("once", "Europe/Madrid", now)
    remaining = schedule.remaining_estimate(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    assert remaining == timedelta(minutes=30)  # 09:00 Madrid = 08:00 UTC


def test_it_survives_beats_state_file():
    schedule = pickle.loads(pickle.dumps(crontab("skip", "Europe/Madrid")))
    assert (schedule.zone, schedule.rule.catchup, schedule.rule.cron) == (
        "Europe/Madrid",
        "skip",
        "0 9 * * *",
    )
    every = celery_schedule(make_schedule("tick", "system.ping", "system", every=5))
    assert pickle.loads(pickle.dumps(every)).run_every == timedelta(seconds=5)
