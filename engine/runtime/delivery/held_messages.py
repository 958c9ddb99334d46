"""Live workers keep the messages they hold: the half of at-least-once that prevents
a second delivery while the first still runs.

The Redis visibility timeout is short (engine.runtime.delivery.reliability), so a worker re-scores,
in kombu's `unacked_index` (delivery time by tag), every message it holds: running,
reserved (prefetched) or waiting for its ETA or retry countdown. A dead worker stops doing
so, and its messages are swept back to their queues within `reliability.redeliver_within`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from celery import bootsteps
from celery.worker import state

from engine.runtime.delivery.reliability import uses_redis

if TYPE_CHECKING:
    from celery import Celery

logger = logging.getLogger("poli.reliability")
RETRY_SECONDS = 0.5


class HeldMessages(bootsteps.StartStopStep):
    """Re-scores, every `refresh_interval`, the unacked messages this worker holds, from a
    thread that lives as long as the worker: through a broker outage it retries every
    RETRY_SECONDS, so the held messages are refreshed as soon as Redis is back, before the
    consumers (which reconnect with a growing backoff) sweep expired ones."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self, parent: Any) -> None:
        app = parent.app
        if not hasattr(app, "platform") or not uses_redis(app):
            return
        interval = app.platform.reliability.refresh_interval
        self.stopping.clear()
        self.thread = threading.Thread(
            target=self._run, args=(app, interval), name="poli-held-messages", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)
            self.thread = None

    shutdown = stop

    def _run(self, app: Celery, interval: float) -> None:
        connection, delay, failing = None, interval, False
        while not self.stopping.wait(delay):
            try:
                if connection is None:
                    connection = app.connection_for_write()
                channel = connection.default_channel
                refresh(channel.client, channel.unacked_index_key, held_tags())
                delay, failing = interval, False
            except Exception:  # the broker is away: try again soon
                if not failing:
                    logger.warning("could not refresh held messages", exc_info=True)
                if connection is not None:
                    connection.release()
                connection, delay, failing = None, RETRY_SECONDS, True
        if connection is not None:
            connection.release()


def held_tags() -> list[str]:
    """Delivery tags of every request this worker process holds."""
    for _ in range(10):  # the sets are changed by the consumer's thread as we read them
        try:
            held = (*state.active_requests, *state.reserved_requests, *state.scheduled_requests)
            return sorted({r.message.delivery_tag for r in held if r.message is not None})
        except RuntimeError:
            continue
    return []


def refresh(client: Any, index_key: str, tags: list[str]) -> int:
    """Mark `tags` as delivered now (only those still unacked: XX adds nothing)."""
    if not tags:
        return 0
    now = time.time()
    return int(client.zadd(index_key, {tag: now for tag in tags}, xx=True, ch=True))
