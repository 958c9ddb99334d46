"""Prometheus alerting rules for the console's `/metrics`, one group for poli.

Each enabled schedule gets its own "no success" rule, derived from its own period: the
longest wait between two of its runs (engine.model.schedule_times.longest_gap), plus its
task's time limit (a run may take that long), plus a grace. Shared rules: a run started
late, dead letters growing, the broker down, no beat holding the lock.
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.durations import format_duration
from engine.model import Platform, Schedule
from engine.model.schedule_calendar import longest_gap
from generators.common import HEADER

RULES = "poli-rules.yml"
GRACE_SECONDS = 300  # scrape gaps, a slow worker start, a retry
LATE_SECONDS = 120  # a run that started this long after its due time


def render_prometheus(platform: Platform) -> dict[str, str]:
    """`{"poli-rules.yml": text}` for Prometheus' `rule_files:` (checked by promtool)."""
    rules = [_no_success(platform, s) for s in platform.enabled_schedules]
    rules = [rule for rule in rules if rule is not None] + _shared()
    document = {"groups": [{"name": "poli", "rules": rules}]}
    body = yaml.safe_dump(document, sort_keys=False, width=1000)
    return {RULES: f"# {HEADER}\n{body}"}


def _no_success(platform: Platform, schedule: Schedule) -> dict[str, Any] | None:
    period = longest_gap(schedule)
    if period is None:  # never fires (validate says so): nothing to expect
        return None
    limit = platform.task(schedule.task).time_limit or 0
    bound = int(period + limit + max(GRACE_SECONDS, period * 0.1))
    selector = f'{{schedule="{_label(schedule.name)}"}}'
    return {
        "alert": "PoliScheduleNoSuccess",
        "expr": f"time() - poli_schedule_last_success_timestamp_seconds{selector} > {bound}",
        "labels": {"severity": "warning", "schedule": schedule.name},
        "annotations": {
            "summary": f"schedule {schedule.name} has not succeeded for over {format_duration(bound)}",
            "description": (
                f"{schedule.name} ({schedule.task}) runs at most {format_duration(int(period))} "
                f"apart; polictl status, polictl dead list --task {schedule.task}"
            ),
        },
    }


def _shared() -> list[dict[str, Any]]:
    return [
        {
            "alert": "PoliScheduleLate",
            "expr": f"poli_schedule_lateness_seconds > {LATE_SECONDS}",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "schedule {{ $labels.schedule }} started {{ $value }}s after its due time"
            },
        },
        {
            "alert": "PoliDeadLettersGrowing",
            "expr": "delta(poli_dead_letters[1h]) > 0",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "task {{ $labels.task }} failed for good again (polictl dead list)"
            },
        },
        {
            "alert": "PoliBrokerDown",
            "expr": "poli_broker_up == 0",
            "for": "2m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "poli's broker does not answer"},
        },
        {
            "alert": "PoliNoBeat",
            "expr": "poli_broker_up == 1 unless on() poli_beat_lock_held",
            "for": "5m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "no beat holds the lock: no schedule is sent"},
        },
    ]


def _label(value: str) -> str:
    """A PromQL string literal's inside."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
