"""Beat's schedule objects for Celery: due times by engine.model.schedule_times, the one rule.

`build_beat_schedule` fills `app.conf.beat_schedule`; poli's own scheduler
(engine.runtime.beat.scheduler) reads the model directly, and any stock Celery
scheduler given these objects computes the same instants (`ZonedCron`,
`GridInterval`), in each schedule's own zone, with its `catchup`.

`ZonedCron` is a Celery schedule (a `BaseSchedule`, as Celery's own `crontab` is)
that never calls Celery's crontab parser: what `validate` accepted (engine.model.cron)
is what runs, `5/15` and `fri-mon` included, which that parser refuses or reads
otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import BaseSchedule, schedstate
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


def _value_set(field: str) -> property:
    def values(self: ZonedCron) -> set[int]:
        from engine.model.schedule_times import cron_rule

        return set(getattr(cron_rule(self.rule.cron), field))

    return property(values)


class ZonedCron(_ByTheRule, BaseSchedule):
    def __init__(self, rule: Schedule, **kwargs: Any):
        assert rule.cron is not None
        super().__init__(**kwargs)
        self.rule = rule
        self.zone = rule.timezone

    def __repr__(self) -> str:
        return f"<cron: {self.rule.cron} ({self.zone})>"

    # The value sets under crontab's attribute names, for tools that read them
    # (0 = Sunday, as in crontab); computed by poli's parser, not Celery's.
    minute = _value_set("minutes")
    hour = _value_set("hours")
    day_of_week = _value_set("weekdays")
    day_of_month = _value_set("days")
    month_of_year = _value_set("months")

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ZonedCron):
            return other.rule == self.rule
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable (app, nowfun), as Celery's own


class GridInterval(_ByTheRule, interval):
    def __init__(self, rule: Schedule, **kwargs: Any):
        assert rule.every is not None
        super().__init__(run_every=timedelta(seconds=rule.every), **kwargs)
        self.rule = rule


def _rebuild(rule: Schedule) -> ZonedCron | GridInterval:
    return celery_schedule(rule)


def celery_schedule(schedule: Schedule) -> ZonedCron | GridInterval:
    return GridInterval(schedule) if schedule.every is not None else ZonedCron(schedule)


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
