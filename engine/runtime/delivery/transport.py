"""kombu's Redis transport with poli's unacked records and one client per channel.

Three changes to kombu's Redis channel, nothing else (the same messages, keys and pools):

- Its short commands (publish, record as unacked, ack) share one redis-py client.
  kombu builds a fresh `redis.Redis` for each (`conn_or_acquire`), and redis-py fills a
  table of ~160 response callbacks for every client, ~45 µs each: one per send, two per task
  in a worker (issue 15, [Performance](docs/performance.md); draining a queue went from
  0.83x to 1.06x of Celery's defaults with this alone).
- Its unacked records are kept by the Redis server's clock and restored only when still
  expired (engine.runtime.delivery.unacked, Lua), and a message swept back gets a new
  delivery tag, so the late ack of a worker that held it cannot delete the next one's record.
- Its fetch takes a message and records it as unacked in one Lua script, not `BRPOP` and
  then a second write a kill could fall between (engine.runtime.delivery.fetch).

Celery takes it by name through `broker_transport` (engine.runtime.app.build) for redis://,
rediss:// and sentinel:// brokers. The embedded broker (redis+socket://) keeps kombu's:
kombu takes the transport from the `+` of the URL itself, over `broker_transport`, so giving
it this one needs a URL scheme of poli's own that every reader of the broker URL would have
to know (docs/reliability.md: the fetch window is still open there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import dumps, loads
from kombu.utils.uuid import uuid

from engine.runtime.delivery.fetch import AtomicFetch
from engine.runtime.delivery.unacked import Unacked


class QoS(kombu_redis.QoS):
    """kombu's Redis QoS, its unacked records in engine.runtime.delivery.unacked."""

    def append(self, message: Any, delivery_tag: str) -> None:
        if self.channel.fetch_recorded:  # FETCH wrote the record (engine.runtime.delivery.fetch)
            virtual.QoS.append(self, message, delivery_tag)
            return
        delivery = message.delivery_info
        payload = dumps([message._raw, delivery["exchange"], delivery["routing_key"]])
        self.channel.unacked.append(delivery_tag, payload)
        virtual.QoS.append(self, message, delivery_tag)  # kombu's record keeping, not its write

    def restore_visible(self, start: int = 0, num: int = 10, interval: int = 10) -> None:
        self._vrestore_count += 1
        if (self._vrestore_count - 1) % (interval or 1):  # kombu's throttle
            return
        channel = self.channel
        with channel.conn_or_acquire() as client:
            try:
                with kombu_redis.Mutex(client, self.unacked_mutex_key, self.unacked_mutex_expire):
                    for tag, raw in channel.unacked.due(self.visibility_timeout, num):
                        channel.restore_expired(tag, raw, self.visibility_timeout)
            except kombu_redis.MutexHeld:
                pass


class PoliChannel(AtomicFetch):
    """What poli's channels add to kombu's (mixed into its Redis and Sentinel channels)."""

    QoS = QoS
    _command_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        if self._command_client is None:
            self._command_client = self._create_client()
        yield self._command_client

    @cached_property
    def unacked(self) -> Unacked:
        import redis

        plain = redis.Redis(connection_pool=self.pool)  # unprefixed: Unacked prefixes its keys
        prefix = self.global_keyprefix or ""
        return Unacked(plain, prefix, self.unacked_index_key, self.unacked_key)

    def restore_expired(self, tag: str, raw: Any, visibility_timeout: float) -> bool:
        """Put an expired message back in its queues, with a new delivery tag, if its record
        is still expired when the script runs (a refresh may have landed since)."""
        queues, payload = [], ""
        if raw is not None:  # a record without its message: only the record goes
            message, exchange, routing_key = loads(bytes_to_str(raw))
            message["headers"]["redelivered"] = True
            properties = message["properties"]
            properties["delivery_info"]["redelivered"] = True
            properties["delivery_tag"] = uuid()
            priority = self._get_message_priority(message, reverse=False)
            queues = [self._q_for_pri(q, priority) for q in self._lookup(exchange, routing_key)]
            payload = dumps(message)
        return self.unacked.restore(tag, visibility_timeout, payload, queues, leftmost=False)

    def close(self) -> None:
        self._command_client = None
        super().close()  # type: ignore[misc]


class Channel(PoliChannel, kombu_redis.Channel):
    """A kombu Redis channel with poli's unacked records and one command client."""


class SentinelChannel(PoliChannel, kombu_redis.SentinelChannel):
    """The same for a Redis behind Sentinel."""


class PoliTransport:
    """Keeps the worker's event loop (hub) for the fetch's waits (engine.runtime.delivery.fetch)."""

    fetch_hub: Any = None

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        self.fetch_hub = loop
        super().register_with_event_loop(connection, loop)  # type: ignore[misc]


class Transport(PoliTransport, kombu_redis.Transport):
    Channel = Channel


class SentinelTransport(PoliTransport, kombu_redis.SentinelTransport):
    Channel = SentinelChannel
