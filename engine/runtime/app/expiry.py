"""Expired runs, counted where the worker drops them.

A message carries its `expires` (tasks.yaml, or the schedule's); a worker that takes it
too late revokes it instead of running it (Celery's own rule) and sends `task_revoked`
with `expired=True`. poli counts each such drop in the Redis of its state (under the key prefix), per schedule when
beat sent it (the `poli_schedule` header beat adds) and per task always, for
`polictl status`.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from engine.runtime.beat.store import EXPIRED_RUNS, EXPIRED_TASKS
from engine.runtime.delivery.reliability import broker_client, keeps_state, key


def install(app: Celery) -> None:
    def count_expired(sender: Any = None, request: Any = None, **info: Any) -> None:
        if not info.get("expired") or not keeps_state(app):
            return
        try:
            pipe = broker_client(app).pipeline()
            pipe.hincrby(key(app, EXPIRED_TASKS), getattr(sender, "name", "?"), 1)
            schedule = getattr(request, "poli_schedule", None)
            if isinstance(schedule, str):
                pipe.hincrby(key(app, EXPIRED_RUNS), schedule, 1)
            pipe.execute()
        except Exception:  # a count must never stop the worker; the broker may be gone
            pass

    signals.task_revoked.connect(count_expired, weak=False, dispatch_uid=f"poli-expired-{id(app)}")
