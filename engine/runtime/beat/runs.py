"""Schedule monitoring: the worker running a scheduled task records, per schedule, its due
time, start, finish, outcome and duration in the broker's Redis, beside beat's own state.

Beat marks what it sends with `poli_schedule` and `poli_due` headers
(engine.runtime.beat.scheduler); a worker's task_prerun and task_postrun signals write the
record and count outcomes. `polictl status`, the console and its `/metrics` read them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import signals

RUNS = "poli:beat:runs"  # schedule -> {due, started, finished, outcome, duration, lateness}
OUTCOMES = "poli:beat:outcomes"  # "schedule\x1foutcome" -> count
SUCCESS = "poli:beat:success"  # schedule -> epoch seconds of its last success
logger = logging.getLogger("poli.runs")
OUTCOME_OF_STATE = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retrying"}


def _prefix(task: Any) -> str:
    """The broker's global_keyprefix, which poli's keys carry (the client adds none)."""
    return task.app.platform.broker.key_prefix


def _header(request: Any, name: str) -> Any:
    headers = getattr(request, "headers", None) or {}
    return headers.get(name) or getattr(request, name, None)


def started(
    client: Any, schedule: str, due: str | None, task_id: str, at: float, prefix: str = ""
) -> None:
    due_at = datetime.fromisoformat(due).timestamp() if due else None
    record = {
        "due": due,
        "started": at,
        "task_id": task_id,
        "outcome": "running",
        "lateness": None if due_at is None else max(0.0, at - due_at),
    }
    client.hset(prefix + RUNS, schedule, json.dumps(record))


def finished(client: Any, schedule: str, outcome: str, at: float, prefix: str = "") -> None:
    raw = client.hget(prefix + RUNS, schedule)
    record = json.loads(raw) if raw else {}
    record.update(finished=at, outcome=outcome)
    if record.get("started") is not None:
        record["duration"] = max(0.0, at - record["started"])
    pipe = client.pipeline()
    pipe.hset(prefix + RUNS, schedule, json.dumps(record))
    pipe.hincrby(prefix + OUTCOMES, f"{schedule}\x1f{outcome}", 1)
    if outcome == "success":
        pipe.hset(prefix + SUCCESS, schedule, repr(at))
    pipe.execute()


def read_runs(client: Any, names: list[str], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Schedule -> its last run record (with `last_success`), for the schedules in `names`."""
    if not names:
        return {}
    records = client.hmget(prefix + RUNS, names)
    successes = client.hmget(prefix + SUCCESS, names)
    found = {}
    for name, raw, success in zip(names, records, successes, strict=True):
        if raw is not None or success is not None:
            record = json.loads(raw) if raw else {}
            record["last_success"] = float(success) if success else None
            found[name] = record
    return found


def outcome_counts(client: Any, prefix: str = "") -> dict[tuple[str, str], int]:
    """(schedule, outcome) -> runs so far."""
    counts = {}
    for key, value in client.hgetall(prefix + OUTCOMES).items():
        text = key.decode() if isinstance(key, bytes) else key
        name, _, outcome = text.partition("\x1f")
        counts[(name, outcome)] = int(value)
    return counts


def install(client_of: Callable[[Any], Any]) -> None:
    """Connect the worker signals (build_app); `client_of(app)` is the redis-py client on
    poli's state (prefixing nothing), or None when there is no such Redis."""

    def record(task: Any, write: Callable[[Any, str], None]) -> None:
        name = _header(getattr(task, "request", None), "poli_schedule") if task else None
        app = getattr(task, "app", None)
        if not name or app is None or app.conf.task_always_eager:
            return
        try:
            client = client_of(app)
            if client is not None:
                write(client, name)
        except Exception:  # the broker away: the run itself goes on; its log still has it
            logger.warning("could not record the run of schedule %s", name, exc_info=True)

    def on_prerun(task_id: str = "", task: Any = None, **_: Any) -> None:
        due = _header(getattr(task, "request", None), "poli_due")
        record(task, lambda c, name: started(c, name, due, task_id, time.time(), _prefix(task)))

    def on_postrun(task: Any = None, state: str = "", **_: Any) -> None:
        outcome = OUTCOME_OF_STATE.get(state or "", (state or "unknown").lower())
        record(task, lambda c, name: finished(c, name, outcome, time.time(), _prefix(task)))

    signals.task_prerun.connect(on_prerun, weak=False, dispatch_uid="poli-schedule-runs-pre")
    signals.task_postrun.connect(on_postrun, weak=False, dispatch_uid="poli-schedule-runs-post")
