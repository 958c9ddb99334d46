"""When schedules fire: the one time rule that `polictl schedules` and beat both use.

`cron` means what cron means, field by field, read as wall-clock time in the
schedule's zone (day of month and day of week: either matches when both are
restricted, as in cron). Where the wall clock is not one-to-one:

- spring forward: a time that does not exist runs once, at the first valid
  instant after it (the instant the clocks jump: 02:30 in Madrid runs at 03:00 CEST);
- fall back: a repeated time runs once, at its first occurrence.

`every` fires on a grid aligned to the Unix epoch (every: 1h at the top of each
UTC hour), so every beat on every host agrees on the due times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from engine.model import Schedule

RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
# Cron finds the next fire within this many years or never (e.g. 30 February).
HORIZON_DAYS = 366 * 28
# Zone offsets change by at most this much at once (DST is 1 h; a few zones use 2 h).
MAX_SHIFT = timedelta(hours=3)


@dataclass(frozen=True)
class CronRule:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday, as in cron
    day_or: bool  # both day fields restricted: either one matching is enough

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        return in_month or in_week if self.day_or else in_month and in_week


def _field(text: str, low: int, high: int) -> list[int]:
    """One normalised cron field (numbers, ranges, lists, steps) as its values."""
    values: set[int] = set()
    for term in text.split(","):
        base, _, step = term.partition("/")
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            start, stop = (int(part) for part in base.split("-"))
        else:
            start = int(base)
            stop = high if step else start
        values.update(range(start, stop + 1, int(step or 1)))
    return sorted(values)


@lru_cache(maxsize=1024)
def cron_rule(expression: str) -> CronRule:
    """A normalised five-field expression (engine.model.cron) as sets of values."""
    fields = expression.split()
    minutes, hours, days, months, weekdays = (
        _field(text, low, high) for text, (low, high) in zip(fields, RANGES, strict=True)
    )
    # As in cron: a day field starting with `*` does not widen the other one.
    day_or = not fields[2].startswith("*") and not fields[4].startswith("*")
    return CronRule(
        tuple(minutes),
        tuple(hours),
        frozenset(days),
        frozenset(months),
        frozenset(weekdays),
        day_or,
    )


def wall_times(rule: CronRule, start: datetime) -> Iterator[datetime]:
    """The naive wall-clock times the rule matches, from `start` (naive) on, in order."""
    day, first = start.date(), (start.hour, start.minute)
    for _ in range(HORIZON_DAYS):
        if rule.matches_day(day):
            for hour in rule.hours:
                if hour < first[0]:
                    continue
                for minute in rule.minutes:
                    if (hour, minute) >= first:
                        yield datetime.combine(day, time(hour, minute))
        if day == date.max:
            return  # a rare rule asked for very many runs: the calendar ends here
        day, first = day + timedelta(days=1), (0, 0)


DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def day_never_in_month(expression: str) -> bool:
    """No day of month in the rule exists in any of its months (30 February), whatever
    the day of week says. Celery's crontab refuses such an expression outright."""
    rule = cron_rule(expression)
    return not any(day <= DAYS_IN_MONTH[month - 1] for month in rule.months for day in rule.days)


def never_fires(expression: str) -> bool:
    """No date matches (30 February): 28 years from a leap year see every calendar."""
    return next(wall_times(cron_rule(expression), datetime(2000, 1, 1)), None) is None


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The one instant (UTC) a naive wall-clock time in `zone` runs at."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:  # one instant, or a repeated time: its first occurrence
        return first
    # A time in a gap: fold=0 reads it with the offset before the jump, fold=1 with
    # the one after, so the jump lies between the two readings.
    low, high = second, first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _cron_after(expression: str, zone: ZoneInfo, after: datetime) -> datetime | None:
    local = after.astimezone(zone)
    start = local.replace(tzinfo=None, second=0, microsecond=0)
    if local.utcoffset() != (after - MAX_SHIFT).astimezone(zone).utcoffset():
        start -= MAX_SHIFT  # just after a fall back: earlier wall times may still be ahead
    for wall in wall_times(cron_rule(expression), start):
        moment = instant(wall, zone)
        if moment > after:
            return moment
    return None


def fire_after(schedule: Schedule, after: datetime) -> datetime | None:
    """The first instant strictly after `after` (aware) when `schedule` fires, in UTC."""
    if schedule.every is not None:
        step = schedule.every
        ticks = int(after.timestamp() // step) + 1
        return datetime.fromtimestamp(ticks * step, UTC)
    assert schedule.cron is not None
    return _cron_after(schedule.cron, ZoneInfo(schedule.timezone), after.astimezone(UTC))


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every fire time in [start, end), in order, in UTC: fire_after's rule, walked once
    (the calendar of a thousand schedules asks for tens of thousands of them)."""
    if schedule.every is not None:
        moment = fire_after(schedule, start - timedelta(microseconds=1))
        while moment is not None and moment < end:
            yield moment
            moment = fire_after(schedule, moment)
        return
    assert schedule.cron is not None
    zone, last = ZoneInfo(schedule.timezone), start - timedelta(microseconds=1)
    begin = start.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) - MAX_SHIFT
    offsets: dict[date, timedelta | None] = {}
    for wall in wall_times(cron_rule(schedule.cron), begin):
        day = wall.date()
        if day not in offsets:
            offsets[day] = _steady_offset(day, zone)
        steady = offsets[day]
        moment = instant(wall, zone) if steady is None else (wall - steady).replace(tzinfo=UTC)
        if moment >= end + MAX_SHIFT:
            return
        if last < moment < end:  # a repeated wall time runs once, at its first instant
            yield moment
            last = moment


def _steady_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset all day long, or None on a day it changes (DST)."""
    readings = {
        datetime.combine(day, moment, tzinfo=zone).replace(fold=fold).utcoffset()
        for moment in (time(0, 0), time(23, 59))
        for fold in (0, 1)
    }
    return readings.pop() if len(readings) == 1 else None


def latest_at_or_before(schedule: Schedule, now: datetime, since: datetime) -> datetime | None:
    """The last fire time in (since, now], or None when there is none."""
    if schedule.every is not None:
        latest = datetime.fromtimestamp(now.timestamp() // schedule.every * schedule.every, UTC)
        return latest if latest > since else None
    for back in (timedelta(hours=1), timedelta(days=1), timedelta(days=32), timedelta(days=366)):
        start = max(since, now - back)
        moment = fire_after(schedule, start)
        if moment is not None and moment <= now:
            found = moment
            while (moment := fire_after(schedule, moment)) is not None and moment <= now:
                found = moment
            return found
        if start == since:
            return None
    return None


@dataclass(frozen=True)
class Plan:
    """What beat does with a schedule at `now`, given the last due time it handled."""

    send: datetime | None  # the due time to send now, if any
    latest: datetime  # the last due time handled once this plan is carried out
    next: datetime | None  # the next due time after that


def plan(schedule: Schedule, last: datetime, now: datetime) -> Plan:
    """Due runs since `last` collapse into one, the latest; its lateness decides
    (catchup: `once` sends it, `skip` only within a grace, a duration within that)."""
    first = fire_after(schedule, last)
    if first is None or first > now:
        return Plan(None, last, first)
    following = fire_after(schedule, first)
    if following is not None and following <= now:  # more than one is due: beat was away
        first = latest_at_or_before(schedule, now, first) or first
        following = fire_after(schedule, first)
    deadline = schedule.catchup_deadline
    on_time = deadline is None or (now - first).total_seconds() <= deadline
    return Plan(first if on_time else None, first, following)


def next_runs(schedule: Schedule, count: int, now: datetime | None = None) -> list[datetime]:
    """The next `count` fire times, aware, in the schedule's own time zone."""
    zone = ZoneInfo(schedule.timezone)
    moment = now or datetime.now(UTC)
    runs = []
    for _ in range(count):
        found = fire_after(schedule, moment)
        if found is None:
            break
        runs.append(found.astimezone(zone))
        moment = found
    return runs


def describe(schedule: Schedule) -> str:
    if schedule.every is not None:
        from engine.durations import format_duration

        return f"every {format_duration(schedule.every)}"
    assert schedule.cron is not None
    return _cron_in_words(schedule.cron)


@lru_cache(maxsize=4096)
def _cron_in_words(expression: str) -> str:
    """cron_descriptor reads its locale files on every call: once per expression here."""
    from cron_descriptor import Options, get_description

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    return get_description(expression, options)


# A fixed start (a Monday, before a DST change in most zones), so the longest gap is the same
# on every render: generated alerting rules must not depend on when they were rendered.
GAP_REFERENCE = datetime(2025, 1, 6, tzinfo=UTC)


def longest_gap(schedule: Schedule, span: timedelta = timedelta(days=400)) -> float | None:
    """Seconds of the longest wait between two runs over a year, or over its first 5,000
    runs for a frequent one (its pattern repeats well within that); None: it never fires."""
    if schedule.every is not None:
        return float(schedule.every)
    end, longest, count = GAP_REFERENCE + span, 0.0, 0
    moment = fire_after(schedule, GAP_REFERENCE)
    while moment is not None and moment < end and count < 5000:
        following = fire_after(schedule, moment)
        if following is not None:
            longest = max(longest, (following - moment).total_seconds())
        moment, count = following, count + 1
    return longest or None
