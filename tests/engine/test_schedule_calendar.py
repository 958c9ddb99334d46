"""fires_between (the calendar's fast walk) gives exactly what calling fire_after, the one
rule, run after run gives: across DST changes (a 30-minute one too), wildcard jobs in a
repeated hour, a jitter offset; and longest_gap reads a schedule's period from it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.config import load
from engine.model.schedule_calendar import fires_between, longest_gap
from engine.model.schedule_times import fire_after

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
SPANS = [
    (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 20, tzinfo=UTC)),
    (datetime(2026, 9, 20, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)),
]


@pytest.fixture(scope="module")
def nightly():
    platform = load(MINIMAL, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}).platform
    return next(s for s in platform.schedules if s.cron)


def one_by_one(schedule, start: datetime, end: datetime) -> list[datetime]:
    runs, moment = [], fire_after(schedule, start - timedelta(microseconds=1))
    while moment is not None and moment < end:
        runs.append(moment)
        moment = fire_after(schedule, moment)
    return runs


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize("cron", ["30 2 * * *", "*/15 * * * *", "* 2 * * *", "59 23 * * 0"])
@pytest.mark.parametrize("jitter", [0.0, 600.0])
def test_the_fast_walk_is_fire_after_run_after_run(nightly, zone, cron, jitter):
    schedule = dataclasses.replace(nightly, cron=cron, timezone=zone, jitter=jitter)
    for start, end in SPANS:
        assert list(fires_between(schedule, start, end)) == one_by_one(schedule, start, end)


def test_longest_gap_is_the_period_with_its_longest_wait(nightly):
    weekdays = dataclasses.replace(nightly, cron="0 9 * * 1-5", timezone="UTC", jitter=0.0)
    assert longest_gap(weekdays) == 3 * 86400  # Friday to Monday
    hourly = dataclasses.replace(weekdays, cron="0 * * * *")
    assert longest_gap(hourly) == 3600
    madrid = dataclasses.replace(weekdays, cron="0 2 * * 0", timezone="Europe/Madrid")
    assert longest_gap(madrid) == 7 * 86400 + 3600  # the week the clocks go back
