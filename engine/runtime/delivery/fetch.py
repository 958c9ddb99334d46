"""The atomic fetch: a message leaves its queue and is recorded as unacked in one step.

kombu's Redis channel fetches with `BRPOP` and records the message as unacked in a second
command, from the worker: a worker killed -9 between the two lost the message (7 in 20
kills of the load test on main at 70b5658, issue 22). Here the channel sends, where kombu sends `BRPOP`, one
`EVALSHA` of FETCH: for the queue keys in kombu's order (priority steps, then its
round-robin queue order) it pops the first message found and, in the same script, scores
it in the unacked index by the server's clock and writes its record, the payload bytes as
they were in the queue (built by concatenation, never re-encoded). A worker that dies at any
point after the script ran leaves a record the sweep returns.

A script cannot block, so when every queue is empty it returns nil and the channel waits
before asking again: 1 ms, doubling up to FETCH_POLL_MAX, back to no wait on the first
message. With an event loop (a worker) the wait is a hub timer, so the loop sleeps; without
one (`drain_events`) it is a sleep before the next send. Idle, a consumer asks 1/FETCH_POLL_MAX times a second; the first message after
an idle spell waits at most FETCH_POLL_MAX more than with `BRPOP` (docs/reliability.md).

One round trip per message instead of kombu's two (`BRPOP`, then the record).
"""

from __future__ import annotations

import logging
import time
from queue import Empty  # kombu's
from typing import Any

import redis  # kombu's Redis transport, which imports this module, has it loaded already
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

from engine.runtime.delivery.unacked import NOW

logger = logging.getLogger("poli.reliability")

FETCH_POLL_FIRST = 0.001  # s, the first wait after an empty fetch; doubled after each
FETCH_POLL_MAX = 0.05  # s, the longest (idle: 20 fetches a second per consumer)

# KEYS: unacked index, unacked hash, queue lists...; ARGV: per queue list, '1' to record what
# it gives (a consumer with acks), '0' not (no_ack). Returns {queue key, payload, recorded}.
# The record is written before the pop: a server out of memory refuses the record's writes,
# and the script stops with the message still in its queue.
FETCH = (
    "for i = 3, #KEYS do local m = redis.call('LINDEX', KEYS[i], -1) if m then "
    "local recorded = 0 if ARGV[i - 2] == '1' then "
    "local ok, msg = pcall(cjson.decode, m) "
    "local p = ok and type(msg) == 'table' and msg['properties'] "
    "local info = type(p) == 'table' and p['delivery_info'] "
    "if type(info) == 'table' and type(p['delivery_tag']) == 'string' then "
    + NOW
    + "redis.call('ZADD', KEYS[1], now, p['delivery_tag']) "
    "redis.call('HSET', KEYS[2], p['delivery_tag'], '[' .. m .. ', ' .. "
    "cjson.encode(info['exchange']) .. ', ' .. cjson.encode(info['routing_key']) .. ']') "
    "recorded = 1 end end "
    "redis.call('RPOP', KEYS[i]) return {KEYS[i], m, recorded} end end return nil"
)


class AtomicFetch:
    """Mixed into poli's Redis channels: `_brpop_start`/`_brpop_read` run FETCH, not BRPOP
    (kombu's MultiChannelPoller drives them: start when the channel may consume and nothing
    is pending, read when the connection is readable)."""

    _fetch_sha: str | None = None
    _fetch_wait = 0.0  # s, the current wait after an empty fetch (0: none)
    _fetch_not_before = 0.0  # monotonic time of the next fetch
    _fetch_swept_at = 0.0  # monotonic time of the last sweep without a hub
    _fetch_refusals = 0  # refusals in a row (logged once)
    fetch_recorded = False  # set while the message FETCH recorded is being delivered

    def _brpop_start(self, timeout: Any = None) -> None:
        delay = self._fetch_not_before - time.monotonic()
        if delay > 0:
            if self._fetch_hub is not None:
                return  # its timer (_fetch_later) wakes the loop, and kombu calls this again
            time.sleep(delay)  # drain_events: no loop to wake
        queues = self._queue_cycle.consume(len(self.active_queues))
        if not queues:
            return
        lists = [self._q_for_pri(q, pri) for pri in self.priority_steps for q in queues]
        flags = ["0" if key.rsplit(self.sep, 1)[0] in self._noack_queues else "1" for key in lists]
        prefix = self.global_keyprefix or ""
        keys = [self.unacked.index, self.unacked.hash, *(prefix + key for key in lists)]
        if self._fetch_sha is None:
            self._fetch_sha = self.unacked.client.script_load(FETCH)
        self._in_poll = self.client.connection
        self._brpop_sent_at = time.monotonic()
        self.client.connection.send_command("EVALSHA", self._fetch_sha, len(keys), *keys, *flags)

    def _brpop_read(self, **options: Any) -> bool:
        try:
            try:
                reply = self.client.connection.read_response()
            except redis.exceptions.NoScriptError:  # the server lost its scripts: load again
                self._fetch_sha = None
                raise Empty() from None
            except redis.exceptions.ResponseError as error:  # e.g. out of memory: nothing taken
                self._fetch_refused(error)
                raise Empty() from None
            except self.connection_errors:
                self.client.connection.disconnect()  # kombu's: the next poll reconnects
                raise
            self._fetch_refusals = 0
            if not reply:
                self._fetch_later(min(max(self._fetch_wait * 2, FETCH_POLL_FIRST), FETCH_POLL_MAX))
                if self._fetch_hub is None and time.monotonic() - self._fetch_swept_at >= 1:
                    # kombu sweeps when its BRPOP times out (each second); a hub has a timer
                    self._fetch_swept_at = time.monotonic()
                    self.connection.cycle.maybe_restore_messages()
                raise Empty()
            self._fetch_wait = self._fetch_not_before = 0.0
            key, payload, recorded = reply
            prefix_length = len(self.global_keyprefix or "")
            queue = bytes_to_str(key)[prefix_length:].rsplit(self.sep, 1)[0]
            self._queue_cycle.rotate(queue)
            self.fetch_recorded = bool(recorded)
            try:
                self.connection._deliver(loads(bytes_to_str(payload)), queue)
            finally:
                self.fetch_recorded = False
            return True
        finally:
            self._in_poll = None
            self._flush_brpop_reauth()

    @property
    def _fetch_hub(self) -> Any:
        return getattr(self.connection, "fetch_hub", None)

    def _fetch_later(self, wait: float) -> None:
        """Fetch again `wait` from now. With a hub, a timer then: set here, while the reply is
        handled, so the loop's next poll already waits no longer than it (a timer set in
        `_brpop_start`, a tick callback, would only bound the poll after this one)."""
        self._fetch_wait = wait
        self._fetch_not_before = time.monotonic() + wait
        if self._fetch_hub is not None:
            self._fetch_hub.call_at(self._fetch_not_before, _wake)

    def _fetch_refused(self, error: Exception) -> None:
        """Redis refused the script (nothing was taken): say so once, ask again in a second."""
        if not self._fetch_refusals:
            logger.warning("Redis refused to hand out a message (retrying every 1 s): %s", error)
        self._fetch_refusals += 1
        self._fetch_later(1.0)

    @property
    def _noack_queues(self) -> set[str]:
        return self.__dict__.setdefault("_fetch_noack", set())

    def basic_consume(self, queue: str, *args: Any, **kwargs: Any) -> Any:
        no_ack = kwargs["no_ack"] if "no_ack" in kwargs else bool(args and args[0])
        (self._noack_queues.add if no_ack else self._noack_queues.discard)(queue)
        return super().basic_consume(queue, *args, **kwargs)  # type: ignore[misc]


def _wake() -> None:
    """A timer's work is done by firing: the hub's next tick starts the fetch."""
