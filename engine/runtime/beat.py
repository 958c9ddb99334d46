"""Beat: schedules in their own time zones, and what happens to runs missed while down.

Celery's crontab reads its zone from the app; a schedule may name its own, so
`ZonedCrontab` carries one. `catchup: skip` drops a run missed while beat was
down (Celery's default, `once`, sends it once at start-up).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import crontab, schedstate
from celery.schedules import schedule as interval

from engine.model import Platform, Schedule

# A run is "missed" when its time is further in the past than this at start-up.
CATCHUP_GRACE_SECONDS = 60


class ZonedCrontab(crontab):
    def __init__(self, *fields: str, zone: str = "UTC", catchup: str = "once", **kwargs: Any):
        super().__init__(*fields, **kwargs)
        self.zone = zone
        self.catchup = catchup
        self.__dict__["tz"] = ZoneInfo(zone)  # overrides the cached property

    def __reduce__(self):
        fields = (
            self._orig_minute,
            self._orig_hour,
            self._orig_day_of_week,
            self._orig_day_of_month,
            self._orig_month_of_year,
        )
        return _rebuild, (fields, self.zone, self.catchup)

    def is_due(self, last_run_at):
        if self.catchup == "skip":
            now = self.maybe_make_aware(self.now())
            since = now - timedelta(seconds=CATCHUP_GRACE_SECONDS)
            if self.remaining_estimate(last_run_at).total_seconds() < -CATCHUP_GRACE_SECONDS:
                if self.remaining_estimate(since).total_seconds() > 0:
                    return schedstate(False, self.remaining_estimate(now).total_seconds())
        return super().is_due(last_run_at)


def _rebuild(fields: tuple[str, ...], zone: str, catchup: str) -> ZonedCrontab:
    return ZonedCrontab(*fields, zone=zone, catchup=catchup)


def celery_schedule(schedule: Schedule) -> Any:
    if schedule.every is not None:
        return interval(run_every=timedelta(seconds=schedule.every))
    minute, hour, day_of_month, month, day_of_week = schedule.cron.split()
    return ZonedCrontab(
        minute,
        hour,
        day_of_week,
        day_of_month,
        month,
        zone=schedule.timezone,
        catchup=schedule.catchup,
    )


def build_beat_schedule(platform: Platform) -> dict[str, dict[str, Any]]:
    return {
        s.name: {
            "task": s.task,
            "schedule": celery_schedule(s),
            "args": list(s.args),
            "kwargs": s.kwargs_dict,
            "options": {"queue": s.queue},
        }
        for s in platform.enabled_schedules
    }
