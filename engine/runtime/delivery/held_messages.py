"""Live workers keep the messages they hold: the half of at-least-once that prevents
a second delivery while the first still runs.

The Redis visibility timeout is short (engine.model.reliability), so a worker re-scores, in
kombu's `unacked_index`, every message it holds unacknowledged, by construction: every
message kombu delivered to this process and that is not yet acknowledged or rejected (its
channels' QoS `_delivered`: running, reserved, prefetched, waiting in a rate limit's token
bucket, for an ETA or a retry countdown), plus the requests Celery still runs from a
connection it has since replaced. A dead worker stops doing so, and its messages are swept
back to their queues within `reliability.redeliver_within`.

Scores are the Redis server's clock (engine.runtime.delivery.unacked). The refresher has a
client of its own with timeouts (REFRESH_TIMEOUT to connect and for a reply, then a new
attempt REFRESH_RETRY later), so a half-open connection cannot stall it and a refresh lands
at most REFRESH_RECONNECT_BOUND after Redis is back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import bootsteps
from celery.worker import state
from kombu.transport import redis as kombu_redis

from engine.model import Platform
from engine.model.reliability import REFRESH_RETRY, REFRESH_TIMEOUT
from engine.runtime.broker import redis_client
from engine.runtime.delivery.deadletter import storage_warnings
from engine.runtime.delivery.reliability import uses_redis
from engine.runtime.delivery.unacked import Unacked

logger = logging.getLogger("poli.reliability")


class HeldMessages(bootsteps.StartStopStep):
    """The refresher's thread, started once the pool exists (before the consumer, which is
    `last`). A warm shutdown does not end it: it ends once the worker holds nothing, that is
    once the pool has drained (each task acknowledged) and the consumer's channels have given
    back the messages no task took. A cold shutdown ends the process, and the thread with it."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        self.thread: threading.Thread | None = None
        self.wake = threading.Event()
        self.draining = False

    def start(self, parent: Any) -> None:
        app = parent.app
        if not hasattr(app, "platform") or not uses_redis(app):
            return
        self.draining = False
        refresher = Refresher(app.platform, app.conf.broker_transport_options)
        self.thread = threading.Thread(
            target=self._run, args=(parent, refresher), name="poli-held-messages", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.draining = True  # refresh on until nothing is held; do not wait here (the pool
        self.wake.set()  # drains after this step's stop, and its acks need this thread free)

    def _run(self, worker: Any, refresher: Refresher) -> None:
        interval = refresher.platform.refresh_interval
        delay = interval
        while True:
            self.wake.wait(delay)
            self.wake.clear()
            tags = held_tags(worker)
            if self.draining and not tags:
                break
            delay = interval if refresher.refresh(tags) else REFRESH_RETRY
        refresher.close()


class Refresher:
    """Re-scores held messages on a client of its own, with timeouts."""

    def __init__(self, platform: Platform, options: dict[str, Any]) -> None:
        self.platform, self.options = platform, options
        self.unacked: Unacked | None = None
        self.failing = False
        self.checked = False

    def refresh(self, tags: list[str]) -> bool:
        """Whether the refresh was done (False: Redis is away; try again soon)."""
        try:
            if self.unacked is None:
                self.unacked = self._connect()
            if tags:
                self.unacked.refresh(tags)
        except Exception:  # the broker is away: try again in REFRESH_RETRY
            if not self.failing:
                logger.warning("could not refresh held messages", exc_info=True)
            self.close()
            self.failing = True
            return False
        if self.failing:
            logger.info("held messages refreshed again")
        self.failing = False
        return True

    def _connect(self) -> Unacked:
        client = redis_client(self.platform, timeout=REFRESH_TIMEOUT)
        if not self.checked:  # once, off the worker's main thread, when Redis first answers
            client.ping()  # away: raises, and the check waits for the next attempt
            self.checked = True
            for warning in storage_warnings(client):
                logger.warning(warning)
        prefix = self.options.get("global_keyprefix") or ""
        index = self.options.get("unacked_index_key", kombu_redis.Channel.unacked_index_key)
        records = self.options.get("unacked_key", kombu_redis.Channel.unacked_key)
        return Unacked(client, prefix, index, records)

    def close(self) -> None:
        if self.unacked is not None:
            self.unacked.client.close()
            self.unacked = None


def held_tags(worker: Any) -> list[str]:
    """Delivery tags of every message this worker process holds unacknowledged."""
    for _ in range(10):  # the consumer's thread changes these as we read them
        try:
            return sorted(_delivered(worker) | _requests())
        except RuntimeError:
            continue
    return []


def _delivered(worker: Any) -> set[str]:
    """What kombu delivered on the consumer's connection and is not yet acked or rejected."""
    connection = getattr(getattr(worker, "consumer", None), "connection", None)
    if connection is None:
        return set()
    tags: set[str] = set()
    for channel in list(connection.transport.channels):
        qos = channel.qos
        tags |= set(qos._delivered) - set(qos._dirty)
    return tags


def _requests() -> set[str]:
    """The requests Celery holds (a message from a connection since replaced is only here)."""
    held = (*state.active_requests, *state.reserved_requests, *state.scheduled_requests)
    return {r.message.delivery_tag for r in held if r.message is not None}
