"""kombu's Redis transport, without a new redis-py client per command.

kombu's Redis channel builds a fresh `redis.Redis` for each short command it sends
(`conn_or_acquire`): publishing a message, recording one as unacked when it is delivered,
acknowledging it. redis-py fills a case-insensitive table of ~160 response callbacks for
every client it builds, ~45 µs each: one per send, two per task in a worker, whose main
loop spends ~670 µs per task at 1,500 tasks/s (issue 15, README "Performance"; draining a
queue went from 0.83x to 1.06x of Celery's defaults with this alone). Here a channel builds that
client once and reuses it. Nothing else changes: the same connection pool (redis-py's
clients are thread-safe on a pool, and a pool resets itself in a forked child), the same
commands, the same messages. Celery takes it by name through `broker_transport`
(engine.runtime.app.build) for redis:// and rediss:// brokers; kombu's own serves the
others (sentinel://, and redis+socket://, which the embedded broker uses on a unix socket).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    """A kombu Redis channel whose short commands share one client (and its pool)."""

    _command_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        if self._command_client is None:
            self._command_client = self._create_client()
        yield self._command_client

    def close(self) -> None:
        self._command_client = None
        super().close()


class Transport(kombu_redis.Transport):
    Channel = Channel
