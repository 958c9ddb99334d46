"""`/metrics`: Prometheus text exposition of what the console shows. A broker that is down
is a metric (`poli_broker_up 0`), not an error: the scrape still succeeds.

The alerting rules that read these (`polictl render prometheus`) are generators/prometheus.py.
"""

from __future__ import annotations

from typing import Any

from engine.model import Platform
from engine.secrets import mask_secrets

HELP = {
    "poli_broker_up": ("gauge", "Whether the broker answered this scrape."),
    "poli_beat_lock_held": ("gauge", "1 for the beat holding the lock (host, pid)."),
    "poli_schedule_last_success_timestamp_seconds": ("gauge", "When the last run succeeded."),
    "poli_schedule_lateness_seconds": ("gauge", "Due time to start of the last run."),
    "poli_schedule_duration_seconds": ("gauge", "How long the last finished run took."),
    "poli_schedule_paused": ("gauge", "1 while an operator's pause holds the schedule."),
    "poli_schedule_runs_total": ("counter", "Finished runs by outcome."),
    "poli_dead_letters": ("gauge", "Dead letters kept, per task."),
    "poli_queue_depth": ("gauge", "Messages waiting in the queue."),
}


def _label(value: Any) -> str:
    text = mask_secrets(str(value))
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, labels: dict[str, Any], value: float) -> str:
    inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {value:g}" if inner else f"{name} {value:g}"


def samples(platform: Platform) -> list[tuple[str, dict[str, Any], float]]:
    """(metric, labels, value) for everything the broker's Redis knows now."""
    from engine.runtime.beat.runs import outcome_counts
    from engine.runtime.broker import state_client
    from polictl.beat_report import collect_beat
    from polictl.broker import session as broker
    from polictl.stack.status import dead_letter_counts

    app = broker.celery_app(platform)
    if broker.unreachable(app, timeout=1.0) is not None:
        return [("poli_broker_up", {}, 0)]
    found: list[tuple[str, dict[str, Any], float]] = [("poli_broker_up", {}, 1)]
    beat = collect_beat(platform)
    if beat.holder:
        found.append(
            ("poli_beat_lock_held", {"host": beat.holder["host"], "pid": beat.holder["pid"]}, 1)
        )
    for schedule in platform.schedules:
        labels = {"schedule": schedule.name, "task": schedule.task}
        run = beat.runs.get(schedule.name, {})
        if run.get("last_success") is not None:
            found.append(
                ("poli_schedule_last_success_timestamp_seconds", labels, run["last_success"])
            )
        if run.get("lateness") is not None:
            found.append(("poli_schedule_lateness_seconds", labels, run["lateness"]))
        if run.get("duration") is not None:
            found.append(("poli_schedule_duration_seconds", labels, run["duration"]))
        found.append(("poli_schedule_paused", labels, 1 if beat.paused(schedule.name) else 0))
    client = state_client(platform)
    if client is not None:
        try:
            for (name, outcome), count in sorted(
                outcome_counts(client, platform.broker.key_prefix).items()
            ):
                found.append(
                    ("poli_schedule_runs_total", {"schedule": name, "outcome": outcome}, count)
                )
        finally:
            client.close()
    for task, count in dead_letter_counts(app):
        found.append(("poli_dead_letters", {"task": task}, count))
    depths = broker.queue_depths(app, [q.name for q in platform.queues])
    for queue, depth in depths.items():
        if depth is not None:
            found.append(("poli_queue_depth", {"queue": queue}, depth))
    return found


def render_metrics(platform: Platform) -> str:
    by_metric: dict[str, list[str]] = {}
    for name, labels, value in samples(platform):
        by_metric.setdefault(name, []).append(_line(name, labels, value))
    lines: list[str] = []
    for name, rendered in by_metric.items():
        kind, text = HELP[name]
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *rendered]
    return "\n".join(lines) + "\n"
