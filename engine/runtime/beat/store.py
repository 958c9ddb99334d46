"""What beat keeps in the broker's Redis: the lock, the last due time sent per schedule, status.

One beat holds `poli:beat:lock` (SET NX PX, renewed while it runs); its value names
the holder (host, pid, since). A run is sent only after `claim` recorded its due
time, atomically, and only while the claimer still holds the lock: no
(schedule, due time) is sent twice, however beats come and go. Every key is put after the
broker's `global_keyprefix` by the store itself (its client prefixes nothing).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.runtime.broker import plain_client, state_client

PREFIX = "poli:beat:"
LOCK = PREFIX + "lock"
DUE = PREFIX + "due"  # schedule -> epoch seconds of the last due time handled
RULE = PREFIX + "rule"  # schedule -> fingerprint of the timing rule that due time belongs to
LAST = PREFIX + "last"  # schedule -> {"due": ISO, "sent": ISO} of the last run sent
STATUS = PREFIX + "status"  # what the active beat runs: config hash, generation, next runs
EXPIRED_RUNS = PREFIX + "expired"  # schedule -> runs a worker revoked unstarted (expires)
EXPIRED_TASKS = "poli:expired"  # task -> messages a worker revoked unstarted (expires)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local last = redis.call('HGET', KEYS[2], ARGV[2])
local handled = last and tonumber(last) >= tonumber(ARGV[3])
if ARGV[5] == '1' then handled = last and tonumber(last) > tonumber(ARGV[3]) end
if handled and redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[4] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 1
"""

# a failed send: the record goes back to the run before, if it is still this beat's claim
_UNCLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
return 1
"""


def holder_value() -> str:
    """This process as the lock's value: unique, and readable by `polictl status`."""
    since = datetime.now(UTC).isoformat(timespec="seconds")
    me = {"host": socket.gethostname(), "pid": os.getpid(), "since": since}
    return json.dumps({**me, "token": uuid.uuid4().hex})


@dataclass
class BeatStore:
    client: Any  # redis.Redis, prefixing nothing (engine.runtime.broker.plain_client)
    connection: Any = None  # what keeps the client's connection open
    value: str = ""
    prefix: str = ""  # the broker's global_keyprefix

    def __post_init__(self) -> None:  # EVALSHA: the scripts cross the wire once
        self.lock, self.due, self.rule, self.last, self.status = (
            self.prefix + key for key in (LOCK, DUE, RULE, LAST, STATUS)
        )
        self._renew, self._release, self._claim, self._unclaim = (
            self.client.register_script(script) for script in (_RENEW, _RELEASE, _CLAIM, _UNCLAIM)
        )

    def acquire(self, ttl: float) -> bool:
        self.value = holder_value()
        return bool(self.client.set(self.lock, self.value, nx=True, px=int(ttl * 1000)))

    def renew(self, ttl: float) -> bool:
        return bool(self._renew(keys=[self.lock], args=[self.value, int(ttl * 1000)]))

    def release(self) -> None:
        self._release(keys=[self.lock], args=[self.value])

    def claim(self, name: str, due: datetime, rule: str, again: bool = False) -> int:
        """1: recorded, send it; 0: already handled; -1: this beat lost the lock. `again`:
        this beat claimed `due` and failed to send it, so a record of `due` is not a send."""
        args = [self.value, name, repr(due.timestamp()), rule, "1" if again else "0"]
        return int(self._claim(keys=[self.lock, self.due, self.rule], args=args))

    def unclaim(self, name: str, due: datetime, previous: datetime) -> int:
        """Put back the due time handled before `due` (its send failed); -1: lost the lock."""
        args = [self.value, name, repr(due.timestamp()), repr(previous.timestamp())]
        return int(self._unclaim(keys=[self.lock, self.due], args=args))

    def handled(self) -> dict[str, tuple[datetime, str]]:
        """Schedule -> (last due time handled, its rule's fingerprint)."""
        dues = self.client.hgetall(self.due)
        rules = self.client.hgetall(self.rule)
        return {
            key.decode(): (datetime.fromtimestamp(float(value), UTC), rules.get(key, b"").decode())
            for key, value in dues.items()
        }

    def sent(self, name: str, due: datetime, at: datetime) -> None:
        record = {"due": due.isoformat(), "sent": at.isoformat(timespec="milliseconds")}
        self.client.hset(self.last, name, json.dumps(record))

    def publish(self, status: dict[str, Any]) -> None:
        self.client.set(self.status, json.dumps(status))


def read(client: Any, prefix: str = "") -> dict[str, Any]:
    """Everything `polictl` shows about the running beat: holder, status, last runs."""
    holder, status = client.get(prefix + LOCK), client.get(prefix + STATUS)
    last = client.hgetall(prefix + LAST)
    expired = client.hgetall(prefix + EXPIRED_RUNS)
    holder_info = json.loads(holder) if holder else None
    if holder_info:
        holder_info.pop("token", None)
    return {
        "holder": holder_info,
        "status": json.loads(status) if status else None,
        "last": {k.decode(): json.loads(v) for k, v in last.items()},
        "expired": {k.decode(): int(v) for k, v in expired.items()},
    }


def describe_holder(store: BeatStore | None) -> str:
    if store is None:
        return "no lock: the broker is not Redis"
    holder = json.loads(store.value)
    return f"holding the lock as {holder['host']} pid {holder['pid']}"


def open_store(app: Any) -> BeatStore | None:
    """Beat's store on the broker's Redis, through kombu's connection (embedded sockets,
    TLS and Sentinel just work), on a client that prefixes nothing (poli prefixes its keys)."""
    connection = app.connection_for_write()
    prefix = app.platform.broker.key_prefix
    if connection.transport.driver_type != "redis":  # amqp://: the Redis of poli's state
        client = state_client(app.platform, timeout=5.0)
        return None if client is None else BeatStore(client, prefix=prefix)
    connection.ensure_connection(max_retries=app.conf.broker_connection_max_retries)
    client = plain_client(connection.default_channel)
    return BeatStore(client, connection=connection, prefix=prefix)
