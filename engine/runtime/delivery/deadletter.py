"""The dead-letter store: tasks that failed for good, kept in the broker's Redis.

A letter is written when a task exhausts its retries, fails with an error it does not
retry, hits its hard time limit, or kills its worker on every delivery (a poison
message). It holds all it takes to act on the failure (name, arguments, queue,
exception, traceback, attempts, times) and does not depend on the result backend.

Three keys (after the broker's `global_keyprefix`, which the store puts itself): a hash of letters by id (JSON), a hash of id -> task name (so counting per
task reads names, not whole letters), and a sorted set of ids by failure time (for
listing in order and for retention). Retention is declared in queues.yaml: letters
older than `keep` or beyond the newest `max_entries` are dropped on every write.
This module talks to a redis-py client only; it never imports Celery.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

RECORDS = "poli:dead:records"
TASKS = "poli:dead:tasks"
INDEX = "poli:dead:index"
CLAIM = "poli:dead:replaying:"  # + id: a replay under way (SET NX, expires)
MAX_LETTER_BYTES = 64 * 1024  # a letter above this keeps a marker instead of its arguments
TRACEBACK_KEPT = 16 * 1024  # characters of the traceback's end kept in a capped letter
REPLAY_NAMESPACE = uuid.UUID("6f1c2a52-5a0e-4d6c-9b0e-2f7d3c1a9e41")
# a letter is claimed for a replay only while it is still stored, and by one replay at a time
_CLAIM = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""


@dataclass(frozen=True)
class DeadLetter:
    id: str  # the task id of the failed run
    task: str
    queue: str
    args: list[Any]
    kwargs: dict[str, Any]
    exception: str  # "ValueError: bad argument"
    traceback: str
    reason: str  # retries exhausted | not retried | time limit | poison message | worker lost
    attempts: int
    failed_at: float  # epoch seconds
    replay_of: str | None = None  # the letter this run replayed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=repr, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> DeadLetter:
        return cls(**json.loads(text))

    def capped(self, max_bytes: int = MAX_LETTER_BYTES) -> DeadLetter:
        """This letter, or one whose arguments are a marker (and traceback its end) when it
        would be larger than `max_bytes`: a letter outlives its run, in a Redis's memory."""
        size = len(self.to_json().encode())
        if size <= max_bytes:
            return self
        marker = f"<truncated: the letter was {size} bytes, above {max_bytes}>"
        return replace(
            self,
            args=[marker],
            kwargs={},
            traceback=self.traceback[-TRACEBACK_KEPT:],
            exception=self.exception[:TRACEBACK_KEPT],
            extra={**self.extra, "truncated": size},
        )

    @property
    def replay_id(self) -> str:
        """The task id a replay of this letter sends with: the same for every replay of it,
        so a replay sent twice (a crash between sending and removing) is one task id."""
        return str(uuid.uuid5(REPLAY_NAMESPACE, self.id))


class AmbiguousId(LookupError):
    """A prefix matching more than one letter."""


class DeadLetterStore:
    """Letters in one Redis database, bounded by age and count."""

    def __init__(
        self, client: Any, keep_seconds: float, max_entries: int, prefix: str = ""
    ) -> None:
        self.client = client  # a client that prefixes nothing (engine.runtime.broker)
        self.keep_seconds = keep_seconds
        self.max_entries = max_entries
        self.records, self.tasks, self.index = (prefix + k for k in (RECORDS, TASKS, INDEX))
        self.claims = prefix + CLAIM
        self._claim = client.register_script(_CLAIM)

    def add(self, letter: DeadLetter) -> None:
        letter = letter.capped()
        pipe = self.client.pipeline()
        pipe.hset(self.records, letter.id, letter.to_json())
        pipe.hset(self.tasks, letter.id, letter.task)
        pipe.zadd(self.index, {letter.id: letter.failed_at})
        pipe.execute()
        self.trim(letter.failed_at)

    def trim(self, now: float | None = None) -> int:
        """Drop letters past retention; how many were dropped."""
        now = time.time() if now is None else now
        old = _names(self.client.zrangebyscore(self.index, "-inf", f"({now - self.keep_seconds}"))
        surplus = int(self.client.zcard(self.index)) - len(old) - self.max_entries
        if surplus > 0:
            old += _names(self.client.zrange(self.index, len(old), len(old) + surplus - 1))
        return self.remove(old)

    def claim(self, letter_id: str, seconds: int = 60) -> bool:
        """Whether this replay may send the letter: it is still stored and no other replay
        holds it (the claim expires, so a replay that crashed does not strand it)."""
        keys = [self.records, self.claims + letter_id]
        return bool(self._claim(keys=keys, args=[letter_id, "1", seconds]))

    def release(self, letter_id: str) -> None:
        self.client.delete(self.claims + letter_id)

    def remove(self, ids: list[str]) -> int:
        if not ids:
            return 0
        pipe = self.client.pipeline()
        pipe.hdel(self.records, *ids).hdel(self.tasks, *ids).zrem(self.index, *ids)
        return int(pipe.execute()[2])

    def list(self, task: str | None = None, since: float | None = None) -> list[DeadLetter]:
        """Letters oldest first, optionally of one task and failed at or after `since`."""
        ids = _names(
            self.client.zrangebyscore(self.index, since if since is not None else "-inf", "+inf")
        )
        if task is not None:
            names = self.client.hmget(self.tasks, ids) if ids else []
            ids = [i for i, name in zip(ids, names, strict=True) if _text(name) == task]
        raw = self.client.hmget(self.records, ids) if ids else []
        return [DeadLetter.from_json(r) for r in raw if r is not None]

    def newest(
        self, limit: int, task: str | None = None, since: float | None = None
    ) -> tuple[list[DeadLetter], int]:
        """The newest `limit` letters (of `task`, failed at or after `since`) and how many
        match in all: a page of a large store reads only the letters it shows."""
        low = since if since is not None else "-inf"
        if task is None:
            total = int(self.client.zcount(self.index, low, "+inf"))
            ids = _names(self.client.zrevrangebyscore(self.index, "+inf", low, start=0, num=limit))
        else:
            every = _names(self.client.zrevrangebyscore(self.index, "+inf", low))
            names = self.client.hmget(self.tasks, every) if every else []
            matching = [i for i, name in zip(every, names, strict=True) if _text(name) == task]
            total, ids = len(matching), matching[:limit]
        raw = self.client.hmget(self.records, ids) if ids else []
        return [DeadLetter.from_json(r) for r in raw if r is not None], total

    def get(self, id_or_prefix: str) -> DeadLetter | None:
        """The letter with this id, or the one whose id starts with it (AmbiguousId if several)."""
        raw = self.client.hget(self.records, id_or_prefix)
        if raw is not None:
            return DeadLetter.from_json(raw)
        matches = [i for i in _names(self.client.hkeys(self.tasks)) if i.startswith(id_or_prefix)]
        if len(matches) > 1:
            raise AmbiguousId(id_or_prefix)
        raw = self.client.hget(self.records, matches[0]) if matches else None
        return DeadLetter.from_json(raw) if raw is not None else None

    def purge(self, older_than: float | None = None, now: float | None = None) -> int:
        """Remove every letter, or those failed more than `older_than` seconds ago."""
        now = time.time() if now is None else now
        ceiling = "+inf" if older_than is None else f"({now - older_than}"
        return self.remove(_names(self.client.zrangebyscore(self.index, "-inf", ceiling)))

    def counts(self) -> dict[str, int]:
        """Letters per task name."""
        return dict(Counter(_text(name) for name in self.client.hvals(self.tasks)))


def storage_warnings(client: Any) -> list[str]:
    """What in the Redis's own settings can lose letters: an eviction policy that may evict
    any key, or nothing kept on disk. [] when it keeps them (or will not say: CONFIG is
    disabled on some managed Redis)."""
    try:
        config = client.config_get("maxmemory-policy") | client.config_get("save")
        config |= client.config_get("appendonly")
    except Exception:
        return []
    found = []
    policy = str(config.get("maxmemory-policy", ""))
    if policy.startswith("allkeys-"):
        found.append(
            f"the Redis that keeps dead letters evicts any key when full (maxmemory-policy "
            f"{policy}): letters, delivery counts and unacked messages can be lost; use "
            "noeviction or volatile-*"
        )
    if not config.get("save") and config.get("appendonly") != "yes":
        found.append(
            "the Redis that keeps dead letters keeps nothing on disk (no save, appendonly no):"
            " a restart loses every letter and every queued task"
        )
    return found


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _names(values: list[Any]) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else v for v in values]
