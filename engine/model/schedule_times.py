"""When schedules fire: the one time rule that `polictl schedules` and beat both use.

`cron` means what crontab(5) means, field by field, read as wall-clock time in the
schedule's zone (day of month and day of week: either matches when both are
restricted, that is when neither field starts with `*`, as in cron). Where the wall
clock is not one-to-one, poli does what Vixie/Debian cron does (its cron.c, "DST
changes"), which tells two kinds of job apart:

- a wildcard job (its minute or hour field starts with `*`: `*/15 * * * *`,
  `30 * * * *`, `@hourly`) runs at every instant the wall clock shows a matching
  time: through the repeated hour in the autumn (twice), and not at all for a time
  the spring jump skips;
- a fixed-time job (`30 2 * * *`) runs once for each date: a repeated time at its
  first occurrence, a time that does not exist at the instant the clocks jump
  (02:30 in Madrid runs at 03:00 CEST), several such times as one run.

`every` fires on a grid aligned to the Unix epoch (every: 1h at the top of each
UTC hour), so every beat on every host agrees on the due times.

`jitter` moves every fire time of a schedule later by the same offset, a hash of
its name in [0, jitter) (`Schedule.jitter_offset`): hundreds of `0 * * * *`
schedules spread over the hour, and every beat and the preview still agree. The
offset is added to the instant (DST is decided on the unshifted wall time).
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
    wildcard: bool  # minute or hour starts with `*`: cron's DST rule for such jobs

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
        wildcard=fields[0].startswith("*") or fields[1].startswith("*"),
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


def never_fires(expression: str) -> bool:
    """No date matches (30 February): 28 years from a leap year see every calendar."""
    return next(wall_times(cron_rule(expression), datetime(2000, 1, 1)), None) is None


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The one instant (UTC) a naive wall-clock time in `zone` runs at (a fixed-time job)."""
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


def instants(wall: datetime, zone: ZoneInfo, wildcard: bool) -> tuple[datetime, ...]:
    """The instants (UTC) a naive wall-clock time runs at: a wildcard job's at each
    time the clock shows it (none in a gap, two in a repeated hour), else `instant`."""
    if not wildcard:
        return (instant(wall, zone),)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return (first,)
    return (first, second) if first < second else ()


def _cron_after(expression: str, zone: ZoneInfo, after: datetime) -> datetime | None:
    rule = cron_rule(expression)
    local = after.astimezone(zone)
    start = local.replace(tzinfo=None, second=0, microsecond=0)
    before, ahead = (
        (after + shift).astimezone(zone).utcoffset() for shift in (-MAX_SHIFT, MAX_SHIFT)
    )
    if local.utcoffset() != before or (rule.wildcard and local.utcoffset() != ahead):
        # Just after a fall back (or, for a wildcard job, just before one, whose
        # repeated hour it runs twice): earlier wall times may still be ahead.
        start -= MAX_SHIFT
    best: datetime | None = None
    until: datetime | None = None
    for wall in wall_times(rule, start):
        if until is not None and wall > until:
            break
        for moment in instants(wall, zone, rule.wildcard):
            if moment > after and (best is None or moment < best):
                best = moment
        if best is not None and until is None:
            # Wall order is instant order, except after a time in a wildcard job's
            # second pass through a repeated hour: later wall times of that hour ran
            # earlier, in its first pass.
            second_pass = rule.wildcard and best.astimezone(zone).fold == 1
            until = wall + MAX_SHIFT if second_pass else wall
    return best


def fire_after(schedule: Schedule, after: datetime) -> datetime | None:
    """The first instant strictly after `after` (aware) when `schedule` fires, in UTC:
    the time by its `cron` or `every`, moved later by its jitter offset."""
    shift = timedelta(seconds=schedule.jitter_offset)
    after = after.astimezone(UTC) - shift
    if schedule.every is not None:
        step = schedule.every
        ticks = int(after.timestamp() // step) + 1
        return datetime.fromtimestamp(ticks * step, UTC) + shift
    assert schedule.cron is not None
    found = _cron_after(schedule.cron, ZoneInfo(schedule.timezone), after)
    return found + shift if found is not None else None


def latest_at_or_before(schedule: Schedule, now: datetime, since: datetime) -> datetime | None:
    """The last fire time in (since, now], or None when there is none, however far
    back `since` lies (a yearly or leap-day schedule after a long outage)."""
    if schedule.every is not None:
        shift = schedule.jitter_offset
        grid = (now.timestamp() - shift) // schedule.every * schedule.every
        latest = datetime.fromtimestamp(grid + shift, UTC)
        return latest if latest > since else None
    back = timedelta(hours=1)
    while True:  # windows back from now, each 8 times the last, until one holds a run
        start = since if back >= now - since else now - back
        moment = fire_after(schedule, start)
        if moment is not None and moment <= now:
            found = moment
            while (moment := fire_after(schedule, moment)) is not None and moment <= now:
                found = moment
            return found
        if start == since:
            return None
        back *= 8


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
    try:
        return get_description(expression, options)
    except Exception:  # its parser lacks a form cron has (`1,*/3`): say it in values
        try:
            return get_description(_listed(expression), options)
        except Exception:
            return f"cron {expression}"


def _listed(expression: str) -> str:
    """`1,*/3` as `0,1,3,6` and `*,0` as `*`: lists of plain values for the describer."""
    fields = []
    for text, (low, high) in zip(expression.split(), RANGES, strict=True):
        terms = text.split(",")
        if len(terms) > 1 and "*" in terms:
            text = "*"
        elif len(terms) > 1 and any(term.startswith("*") for term in terms):
            text = ",".join(str(value) for value in _field(text, low, high))
        fields.append(text)
    return " ".join(fields)
