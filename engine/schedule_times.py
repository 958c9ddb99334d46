"""When schedules fire, and how to say it in words (croniter, cron-descriptor)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from engine.model import Schedule


def next_runs(schedule: Schedule, count: int, now: datetime | None = None) -> list[datetime]:
    """The next `count` fire times, aware, in the schedule's own time zone."""
    zone = ZoneInfo(schedule.timezone)
    start = (now or datetime.now(zone)).astimezone(zone)
    if schedule.every is not None:
        step = timedelta(seconds=schedule.every)
        return [start + step * (i + 1) for i in range(count)]
    from croniter import croniter

    itr = croniter(schedule.cron, start)
    return [itr.get_next(datetime) for _ in range(count)]


def describe(schedule: Schedule) -> str:
    if schedule.every is not None:
        from engine.durations import format_duration

        return f"every {format_duration(schedule.every)}"
    from cron_descriptor import Options, get_description

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    return get_description(schedule.cron, options)
