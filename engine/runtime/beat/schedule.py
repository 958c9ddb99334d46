"""Beat's schedule objects for Celery: due times by engine.model.schedule_times, the one rule.

`build_beat_schedule` fills `app.conf.beat_schedule`; poli's own scheduler
(engine.runtime.beat.scheduler) reads the model directly, and any stock Celery
scheduler given these objects computes the same instants (`ZonedCrontab`,
`GridInterval`), in each schedule's own zone, with its `catchup`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import crontab, schedstate
from celery.schedules import schedule as interval

from engine.model import Platform, Schedule

NEVER = timedelta(days=366)  # no fire time ahead (30 February); beat caps its sleep anyway


class _ByTheRule:
    """Celery's `is_due` and `remaining_estimate`, answered by the one time rule."""

    rule: Schedule

    def _now(self) -> datetime:
        return self.maybe_make_aware(self.now()).astimezone(UTC)  # type: ignore[attr-defined]

    def _aware(self, moment: datetime) -> datetime:
        return self.maybe_make_aware(moment).astimezone(UTC)  # type: ignore[attr-defined]

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        from engine.model.schedule_times import fire_after  # beat only: not at every app start

        after = fire_after(self.rule, self._aware(last_run_at))
        return (after - self._now()) if after else NEVER

    def is_due(self, last_run_at: datetime) -> schedstate:
        from engine.model.schedule_times import fire_after, plan

        now = self._now()
        decision = plan(self.rule, self._aware(last_run_at), now)
        upcoming = fire_after(self.rule, now) if decision.send else decision.next
        wait = (upcoming - now).total_seconds() if upcoming else NEVER.total_seconds()
        return schedstate(decision.send is not None, max(wait, 0.0))

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.rule,)


class ZonedCrontab(_ByTheRule, crontab):
    def __init__(self, rule: Schedule, **kwargs: Any):
        assert rule.cron is not None
        minute, hour, day_of_month, month, day_of_week = rule.cron.split()
        super().__init__(minute, hour, day_of_week, day_of_month, month, **kwargs)
        self.rule = rule
        self.zone = rule.timezone


class GridInterval(_ByTheRule, interval):
    def __init__(self, rule: Schedule, **kwargs: Any):
        assert rule.every is not None
        super().__init__(run_every=timedelta(seconds=rule.every), **kwargs)
        self.rule = rule


def _rebuild(rule: Schedule) -> ZonedCrontab | GridInterval:
    return celery_schedule(rule)


def celery_schedule(schedule: Schedule) -> ZonedCrontab | GridInterval:
    return GridInterval(schedule) if schedule.every is not None else ZonedCrontab(schedule)


def build_beat_schedule(platform: Platform) -> dict[str, dict[str, Any]]:
    return {
        s.name: {
            "task": s.task,
            "schedule": celery_schedule(s),
            "args": list(s.args),
            "kwargs": s.kwargs_dict,
            "options": {"queue": s.queue, **({"expires": s.expires} if s.expires else {})},
        }
        for s in platform.enabled_schedules
    }
