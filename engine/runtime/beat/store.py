"""What beat keeps in the broker's Redis: the lock, the last due time sent per schedule, status.

One beat holds `poli:beat:lock` (SET NX PX, renewed while it runs); its value names
the holder (host, pid, since). A run is sent only after `claim` recorded its due
time, atomically, and only while the claimer still holds the lock: no
(schedule, due time) is sent twice, however beats come and go.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
if last and redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[4]
   and tonumber(last) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 1
"""


def holder_value() -> str:
    """This process as the lock's value: unique, and readable by `polictl status`."""
    since = datetime.now(UTC).isoformat(timespec="seconds")
    me = {"host": socket.gethostname(), "pid": os.getpid(), "since": since}
    return json.dumps({**me, "token": uuid.uuid4().hex})


@dataclass
class BeatStore:
    client: Any  # redis.Redis
    connection: Any = None  # what keeps the client's connection open
    value: str = ""

    def __post_init__(self) -> None:  # EVALSHA: the scripts cross the wire once
        self._renew, self._release, self._claim = (
            self.client.register_script(script) for script in (_RENEW, _RELEASE, _CLAIM)
        )

    def acquire(self, ttl: float) -> bool:
        self.value = holder_value()
        return bool(self.client.set(LOCK, self.value, nx=True, px=int(ttl * 1000)))

    def renew(self, ttl: float) -> bool:
        return bool(self._renew(keys=[LOCK], args=[self.value, int(ttl * 1000)]))

    def release(self) -> None:
        self._release(keys=[LOCK], args=[self.value])

    def claim(self, name: str, due: datetime, rule: str) -> int:
        """1: recorded, send it; 0: already handled; -1: this beat lost the lock."""
        args = [self.value, name, repr(due.timestamp()), rule]
        return int(self._claim(keys=[LOCK, DUE, RULE], args=args))

    def handled(self) -> dict[str, tuple[datetime, str]]:
        """Schedule -> (last due time handled, its rule's fingerprint)."""
        dues = self.client.hgetall(DUE)
        rules = self.client.hgetall(RULE)
        return {
            key.decode(): (datetime.fromtimestamp(float(value), UTC), rules.get(key, b"").decode())
            for key, value in dues.items()
        }

    def sent(self, name: str, due: datetime, at: datetime) -> None:
        record = {"due": due.isoformat(), "sent": at.isoformat(timespec="milliseconds")}
        self.client.hset(LAST, name, json.dumps(record))

    def publish(self, status: dict[str, Any]) -> None:
        self.client.set(STATUS, json.dumps(status))


def read(client: Any) -> dict[str, Any]:
    """Everything `polictl` shows about the running beat: holder, status, last runs."""
    holder, status, last = client.get(LOCK), client.get(STATUS), client.hgetall(LAST)
    expired = client.hgetall(EXPIRED_RUNS)
    holder_info = json.loads(holder) if holder else None
    if holder_info:
        holder_info.pop("token", None)
    return {
        "holder": holder_info,
        "status": json.loads(status) if status else None,
        "last": {k.decode(): json.loads(v) for k, v in last.items()},
        "expired": {k.decode(): int(v) for k, v in expired.items()},
    }
