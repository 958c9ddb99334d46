"""A schedule's runs over a span: every fire time in a window (the calendar) and the longest
wait between two runs (the alerting rules). Both follow fire_after, the one rule
(engine.model.schedule_times); this module only walks it faster.

Part of the model: pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from engine.model.schedule_times import cron_rule, fire_after

if TYPE_CHECKING:
    from engine.model import Schedule

# A fixed start (a Monday, before a DST change in most zones), so the longest gap is the same
# on every render: generated alerting rules must not depend on when they were rendered.
GAP_REFERENCE = datetime(2025, 1, 6, tzinfo=UTC)


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every fire time in [start, end), in order, in UTC. Within a local day on which the
    zone keeps one offset, the next run is the rule's next wall time that day; at a day's
    end, on a DST day or for `every`, fire_after itself (the calendar of a thousand
    schedules asks for tens of thousands of runs)."""
    moment = fire_after(schedule, start - timedelta(microseconds=1))
    if schedule.cron is None:
        while moment is not None and moment < end:
            yield moment
            moment = fire_after(schedule, moment)
        return
    rule, zone = cron_rule(schedule.cron), ZoneInfo(schedule.timezone)
    shift = timedelta(seconds=schedule.jitter_offset)
    offsets: dict[date, timedelta | None] = {}
    while moment is not None and moment < end:
        yield moment
        local = (moment - shift).astimezone(zone)
        day = local.date()
        if day not in offsets:
            offsets[day] = _steady_offset(day, zone)
        wall = _next_wall_same_day(rule, local.replace(tzinfo=None))
        steady = offsets[day]
        if wall is None or steady is None:
            moment = fire_after(schedule, moment)
        else:
            moment = (wall - steady).replace(tzinfo=UTC) + shift


def _next_wall_same_day(rule, wall: datetime) -> datetime | None:
    """The rule's next wall time after `wall` on the same day, if any."""
    for hour in rule.hours:
        if hour < wall.hour:
            continue
        for minute in rule.minutes:
            if (hour, minute) > (wall.hour, wall.minute):
                return wall.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return None


def _steady_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset all day long, or None on a day it changes (DST)."""
    readings = {
        datetime.combine(day, moment, tzinfo=zone).replace(fold=fold).utcoffset()
        for moment in (time(0, 0), time(23, 59))
        for fold in (0, 1)
    }
    return readings.pop() if len(readings) == 1 else None


def longest_gap(schedule: Schedule, span: timedelta = timedelta(days=400)) -> float | None:
    """Seconds of the longest wait between two runs over a year, or over its first 5,000
    runs for a frequent one (its pattern repeats well within that); None: it never fires."""
    if schedule.every is not None:
        return float(schedule.every)
    longest, previous = 0.0, None
    runs = fires_between(schedule, GAP_REFERENCE, GAP_REFERENCE + span)
    for count, moment in enumerate(runs):
        if previous is not None:
            longest = max(longest, (moment - previous).total_seconds())
        if count == 5000:
            break
        previous = moment
    return longest or None
