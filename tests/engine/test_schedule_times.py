"""The one time rule: what `polictl schedules` previews is what beat sends.

Fixed clocks throughout; the property test draws cron expressions and zones (DST
ones included) and compares a year of preview with a year of Celery's `is_due`
and poli's scheduler plan, and a few days around each DST change with a
minute-by-minute model of Vixie cron's main loop (an oracle that shares no code).
tests/engine/test_cron_corpus.py compares with croniter and cronsim.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_values import schedule

from engine.model import Schedule
from engine.model.schedule_times import (
    cron_rule,
    fire_after,
    latest_at_or_before,
    never_fires,
    next_runs,
    plan,
)
from engine.runtime.beat.schedule import celery_schedule

MADRID = "Europe/Madrid"


def cron(expression: str, zone: str = "UTC", catchup: str = "once", jitter: int = 0) -> Schedule:
    return schedule(
        "job",
        "system.ping",
        "system",
        cron=expression,
        timezone=zone,
        catchup=catchup,
        jitter=jitter,
    )


def every(seconds: int, catchup: str = "once", jitter: int = 0, name: str = "job") -> Schedule:
    return schedule(name, "system.ping", "system", every=seconds, catchup=catchup, jitter=jitter)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def preview(schedule: Schedule, start: datetime, count: int) -> list[str]:
    return [t.isoformat() for t in next_runs(schedule, count, start)]


# --- DST, with fixed clocks ------------------------------------------------------------


def test_the_repeated_hour_runs_once_at_its_first_occurrence():
    """The issue's case: the seed's Sunday 02:00 cleanup on the night Madrid falls back."""
    runs = preview(cron("0 2 * * 0", MADRID), utc(2027, 10, 30), 2)
    assert runs == ["2027-10-31T02:00:00+02:00", "2027-11-07T02:00:00+01:00"]


def test_a_fixed_time_job_runs_each_wall_time_of_the_repeated_hour_once():
    runs = preview(cron("0,30 1-3 * * *", MADRID), utc(2027, 10, 30, 22), 6)
    assert runs == [
        "2027-10-31T01:00:00+02:00",
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T02:00:00+02:00",
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T03:00:00+01:00",  # 02:00 and 02:30 CET are not run again
        "2027-10-31T03:30:00+01:00",
    ]


def test_a_wildcard_job_runs_through_the_repeated_hour():
    """As Vixie/Debian cron: `*/30` in the minute field runs on both passes."""
    runs = preview(cron("*/30 1-3 * * *", MADRID), utc(2027, 10, 30, 23, 10), 6)
    assert runs == [
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T02:00:00+02:00",
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T02:00:00+01:00",
        "2027-10-31T02:30:00+01:00",
        "2027-10-31T03:00:00+01:00",
    ]
    second_pass = next_runs(cron("*/15 * * * *", MADRID), 2, utc(2027, 10, 31, 0, 50))
    assert [t.isoformat() for t in second_pass] == [
        "2027-10-31T02:00:00+01:00",  # after 02:45 CEST: the hour again, not 03:00
        "2027-10-31T02:15:00+01:00",
    ]


def test_a_wildcard_job_skips_the_times_the_spring_jump_skips():
    runs = preview(cron("30 * * * *", MADRID), utc(2027, 3, 28, 0), 2)
    assert runs == ["2027-03-28T01:30:00+01:00", "2027-03-28T03:30:00+02:00"]
    assert preview(cron("*/15 * * * *", MADRID), utc(2027, 3, 28, 0, 50), 1) == [
        "2027-03-28T03:00:00+02:00"
    ]


def test_a_time_that_does_not_exist_runs_once_when_the_clocks_jump():
    runs = preview(cron("30 2 * * *", MADRID), utc(2027, 3, 27, 12), 2)
    assert runs == ["2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00"]


def test_the_skipped_hour_collapses_into_one_run_with_the_hour_after():
    runs = preview(cron("0,30 2,3 * * *", MADRID), utc(2027, 3, 27, 12), 3)
    assert runs == [
        "2027-03-28T03:00:00+02:00",  # 02:00, 02:30 and 03:00: one run
        "2027-03-28T03:30:00+02:00",
        "2027-03-29T02:00:00+02:00",
    ]


def test_half_hour_dst_lord_howe():
    runs = preview(cron("15 2 * * *", "Australia/Lord_Howe"), utc(2027, 10, 2, 6), 2)
    assert runs == ["2027-10-03T02:30:00+11:00", "2027-10-04T02:15:00+11:00"]


def test_day_of_month_or_day_of_week_as_in_cron():
    """Both restricted: either matches (cron's rule; Celery's own crontab needs both)."""
    runs = preview(cron("0 0 13 * 5"), utc(2027, 8, 1), 3)
    assert runs == [
        "2027-08-06T00:00:00+00:00",  # a Friday
        "2027-08-13T00:00:00+00:00",  # the 13th (also a Friday)
        "2027-08-20T00:00:00+00:00",
    ]
    assert cron_rule("0 0 */2 * 5").day_or is False  # a `*` field does not widen the other


def test_every_runs_on_a_grid_from_the_epoch():
    """Every host computes the same due times, whenever its beat started."""
    assert preview(every(3600), utc(2027, 1, 1, 0, 0, 1), 2) == [
        "2027-01-01T01:00:00+00:00",
        "2027-01-01T02:00:00+00:00",
    ]
    seven = next_runs(every(7), 3, utc(2027, 1, 1, 0, 0, 1))
    assert [int(t.timestamp()) % 7 for t in seven] == [0, 0, 0]
    assert [(b - a).total_seconds() for a, b in pairwise(seven)] == [7, 7]


def test_an_impossible_date_never_fires():
    assert fire_after(cron("0 0 30 2 *"), utc(2027, 1, 1)) is None
    assert next_runs(cron("0 0 30 2 *"), 3, utc(2027, 1, 1)) == []


def test_a_day_of_month_that_never_occurs_still_ors_with_the_day_of_week():
    """crontab(5): `0 0 30 2 mon` is every Monday in February."""
    runs = preview(cron("0 0 30 2 1"), utc(2027, 1, 1), 5)
    assert [run[:10] for run in runs] == [
        "2027-02-01", "2027-02-08", "2027-02-15", "2027-02-22", "2028-02-07",
    ]  # fmt: skip


def test_jitter_moves_every_fire_time_by_one_stable_offset_from_the_name():
    offsets = {every(3600, jitter=600, name=f"probe-{i}").jitter_offset for i in range(50)}
    assert min(offsets) >= 0 and max(offsets) < 600 and len(offsets) > 40  # spread, in range
    hourly = cron("0 * * * *", jitter=600)
    shift = timedelta(seconds=hourly.jitter_offset)
    assert shift == timedelta(seconds=cron("0 * * * *", jitter=600).jitter_offset)  # stable
    plain = next_runs(cron("0 * * * *"), 3, utc(2027, 1, 1, 0, 30))
    assert next_runs(hourly, 3, utc(2027, 1, 1, 0, 30) + shift) == [t + shift for t in plain]
    ticks = next_runs(every(60, jitter=60, name="probe"), 2, utc(2027, 1, 1))
    offset = every(60, jitter=60, name="probe").jitter_offset
    assert [int(t.timestamp()) % 60 for t in ticks] == [offset, offset]


def test_a_jittered_run_missed_by_an_outage_is_its_effective_time():
    daily = cron("0 9 * * *", jitter=3600)
    shift = timedelta(seconds=daily.jitter_offset)
    decision = plan(daily, LAST + shift, utc(2027, 5, 5, 12))
    assert (decision.send, decision.next) == (
        utc(2027, 5, 5, 9) + shift,
        utc(2027, 5, 6, 9) + shift,
    )


# --- missed runs -----------------------------------------------------------------------

LAST = utc(2027, 5, 3, 9)  # a daily 09:00 run sent on Monday


@pytest.mark.parametrize(
    ("catchup", "now", "sent"),
    [
        ("once", utc(2027, 5, 5, 12), utc(2027, 5, 5, 9)),  # two missed: the latest, once
        ("once", utc(2027, 5, 5, 9), utc(2027, 5, 5, 9)),  # the second one due this instant
        ("skip", utc(2027, 5, 5, 12), None),
        ("skip", utc(2027, 5, 5, 9, 0, 30), utc(2027, 5, 5, 9)),  # late, not missed (grace 60s)
        ("10m", utc(2027, 5, 5, 9, 10), utc(2027, 5, 5, 9)),
        ("10m", utc(2027, 5, 5, 9, 10, 1), None),
    ],
)
def test_catchup(catchup, now, sent):
    decision = plan(cron("0 9 * * *", catchup=catchup), LAST, now)
    assert decision.send == sent
    assert (decision.latest, decision.next) == (utc(2027, 5, 5, 9), utc(2027, 5, 6, 9))


def test_nothing_is_due_before_its_time():
    decision = plan(cron("0 9 * * *"), LAST, utc(2027, 5, 4, 8, 59, 59))
    assert (decision.send, decision.latest, decision.next) == (None, LAST, utc(2027, 5, 4, 9))


def test_a_run_is_due_at_its_exact_time():
    decision = plan(cron("0 9 * * *"), LAST, utc(2027, 5, 4, 9))
    assert (decision.send, decision.latest, decision.next) == (
        utc(2027, 5, 4, 9),
        utc(2027, 5, 4, 9),
        utc(2027, 5, 5, 9),
    )


@pytest.mark.parametrize(
    ("expression", "last", "now", "sent"),
    [
        ("0 0 1 1 *", utc(2020, 1, 1), utc(2027, 6, 1), utc(2027, 1, 1)),  # yearly, 7 years
        ("0 0 29 2 *", utc(2016, 2, 29), utc(2027, 6, 1), utc(2024, 2, 29)),  # leap day
        ("0 0 30 2 1", utc(2019, 2, 25), utc(2027, 1, 31), utc(2026, 2, 23)),
    ],
)
def test_an_outage_of_years_sends_the_latest_missed_run_once(expression, last, now, sent):
    decision = plan(cron(expression), last, now)
    assert (decision.send, decision.latest) == (sent, sent)
    assert decision.next is not None and decision.next > now


def test_a_long_outage_of_an_interval_schedule_sends_once():
    decision = plan(every(1), utc(2027, 1, 1), utc(2027, 1, 1, 0, 0, 30, 500000))
    assert decision.send == utc(2027, 1, 1, 0, 0, 30)
    assert decision.next == utc(2027, 1, 1, 0, 0, 31)


def test_the_latest_run_of_a_jittered_interval_is_on_its_shifted_grid():
    """every: 10m with jitter: each run at :00, :10, ... plus the same offset (0 < it < 5m)."""
    probe = every(600, jitter=300, name="grid")
    shift = timedelta(seconds=probe.jitter_offset)
    assert timedelta(0) < shift < timedelta(minutes=5)
    latest = utc(2027, 1, 1, 0, 50) + shift  # 01:00 + shift is still ahead
    assert latest_at_or_before(probe, utc(2027, 1, 1, 1), utc(2027, 1, 1)) == latest
    assert latest_at_or_before(probe, latest, utc(2027, 1, 1)) == latest  # now is inclusive
    assert latest_at_or_before(probe, utc(2027, 1, 1, 1), latest) is None  # since is not
    before = latest - timedelta(microseconds=1)
    assert latest_at_or_before(probe, utc(2027, 1, 1, 1), before) == latest


def test_the_latest_cron_run_counts_now_and_not_since():
    daily = cron("0 9 * * *")
    since, now = utc(2027, 5, 4, 9), utc(2027, 5, 5, 9)
    assert latest_at_or_before(daily, now, since) == now  # the only run in (since, now]
    assert latest_at_or_before(daily, now - timedelta(seconds=1), since) is None
    assert latest_at_or_before(daily, utc(2027, 5, 5, 8), since) is None  # not the run at since


def test_a_years_long_outage_of_a_minutely_schedule_is_answered_at_once():
    """The last run is found in a window back from now, not by walking the years since."""
    minutely = cron("* * * * *")
    now = utc(2027, 5, 5, 9, 30, 45)
    assert latest_at_or_before(minutely, now, utc(2019, 1, 1)) == utc(2027, 5, 5, 9, 30)
    on_the_minute = utc(2027, 5, 5, 9, 31)
    assert latest_at_or_before(minutely, on_the_minute, utc(2019, 1, 1)) == on_the_minute


# --- preview and beat agree (property) -------------------------------------------------

ZONES = ["UTC", MADRID, "America/New_York", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Tehran", "Pacific/Chatham", "Europe/London", "Antarctica/Troll"]  # fmt: skip


def _terms(low: int, high: int, sparse: bool) -> st.SearchStrategy[str]:
    single = st.integers(low, high).map(str)
    ranged = st.tuples(st.integers(low, high), st.integers(low, high)).map(
        lambda p: f"{min(p)}-{max(p)}"
    )
    if sparse:
        return st.lists(single, min_size=1, max_size=2).map(",".join)
    stepped = st.integers(2, high - low + 1).map(lambda step: f"*/{step}")
    return st.one_of(st.just("*"), single, ranged, stepped, ranged.map(lambda r: r + "/2"))


EXPRESSIONS = (
    st.tuples(
        st.one_of(_terms(0, 59, sparse=True), st.sampled_from(["*/15", "*/20", "*/30"])),
        _terms(0, 23, sparse=False),
        _terms(1, 31, sparse=False),
        _terms(1, 12, sparse=False),
        _terms(0, 6, sparse=False),
    )
    .map(" ".join)
    .filter(lambda expression: not never_fires(expression))  # validate refuses those
)


MAX_FIRES = 1500  # a year, or this many fire times for dense expressions


def beat_fires(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Celery's own loop over `is_due`: send when due, then sleep what it says."""
    clock = [start]
    beat = celery_schedule(schedule)
    beat.nowfun = lambda: clock[0]
    beat.app = Celery(set_as_current=False)
    fires, last = [], start
    while clock[0] < end and len(fires) < MAX_FIRES:
        due, wait = beat.is_due(last)
        if due:
            fires.append(clock[0])
            last = clock[0]
        clock[0] += timedelta(seconds=max(wait, 0.001))
    return [f.replace(microsecond=0) for f in fires if f < end]


def scheduler_fires(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """engine.runtime.beat.scheduler's loop: plan at each due time."""
    fires, last, due = [], start, fire_after(schedule, start)
    while due is not None and due < end and len(fires) < MAX_FIRES:
        decision = plan(schedule, last, due)
        fires.append(decision.send)
        last, due = decision.latest, decision.next
    return fires


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expression=EXPRESSIONS,
    zone=st.sampled_from(ZONES),
    day=st.integers(0, 364),
    jitter=st.sampled_from([0, 0, 90, 3600]),
)
def test_preview_and_beat_agree_over_a_year(expression, zone, day, jitter):
    schedule = cron(expression, zone, jitter=jitter)
    start = utc(2027, 1, 1) + timedelta(days=day, minutes=7)
    end = start + timedelta(days=366)
    expected = []
    for moment in next_runs(schedule, MAX_FIRES, start):
        if moment >= end:
            break
        expected.append(moment.astimezone(UTC))
    assert scheduler_fires(schedule, start, end) == expected
    assert beat_fires(schedule, start, end) == expected


def vixie_cron(expression: str, zone: str, start: datetime, end: datetime) -> list:
    """A model of Vixie/Debian cron's main loop (cron.c), which shares no code with
    the rule: each real minute it compares the wall clock with its own "virtual"
    one. One minute on: run what matches. A jump forward (6 min to 3 h): wildcard
    jobs (minute or hour starting with `*`) for the minute shown, fixed-time jobs
    for every minute skipped. A jump back: wildcard jobs only, until the wall clock
    catches up. (Cron runs a fixed-time job once per skipped minute it matches;
    poli runs it once: a deliberate difference, docs/scheduling-differences.md.)"""
    rule, tz = cron_rule(expression), ZoneInfo(zone)
    fields = expression.split()
    wildcard = fields[0].startswith("*") or fields[1].startswith("*")

    def matches(wall: datetime) -> bool:
        return (
            rule.matches_day(wall.date())
            and wall.hour in rule.hours
            and wall.minute in rule.minutes
        )

    fires = []
    virtual = (start - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    moment = start
    while moment < end:
        running = moment.astimezone(tz).replace(tzinfo=None)
        diff = int((running - virtual) / timedelta(minutes=1))
        if diff == 1:
            virtual, run = running, matches(running)
        elif diff > 5:
            skipped = (virtual + timedelta(minutes=i) for i in range(1, diff + 1))
            run = matches(running) if wildcard else any(matches(w) for w in skipped)
            virtual = running
        else:  # the clocks went back: virtual time waits
            run = wildcard and matches(running)
        if run:
            fires.append(moment)
        moment += timedelta(minutes=1)
    return fires


@settings(max_examples=8, deadline=None)
@given(expression=EXPRESSIONS, zone=st.sampled_from(ZONES[1:]), year=st.sampled_from([2027, 2028]))
def test_around_each_dst_change_preview_matches_vixie_cron(expression, zone, year):
    tz = ZoneInfo(zone)
    changes = []
    moment = utc(year, 1, 1)
    while moment.year == year:  # find the days the offset changes
        if (moment + timedelta(days=1)).astimezone(tz).utcoffset() != moment.astimezone(
            tz
        ).utcoffset():
            changes.append(moment)
        moment += timedelta(days=1)
    for change in changes:
        start, end = change - timedelta(hours=12), change + timedelta(days=2)
        expected = vixie_cron(expression, zone, start, end)
        got = []
        for when in next_runs(cron(expression, zone), 5000, start - timedelta(microseconds=1)):
            if when >= end:
                break
            got.append(when.astimezone(UTC))
        assert got == expected
