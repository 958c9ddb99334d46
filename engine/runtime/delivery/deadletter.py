"""The dead-letter store: tasks that failed for good, kept in the broker's Redis.

A letter is written when a task exhausts its retries, fails with an error it does not
retry, hits its hard time limit, or kills its worker on every delivery (a poison
message). It holds all it takes to act on the failure (name, arguments, queue,
exception, traceback, attempts, times) and does not depend on the result backend.

Three keys: a hash of letters by id (JSON), a hash of id -> task name (so counting per
task reads names, not whole letters), and a sorted set of ids by failure time (for
listing in order and for retention). Retention is declared in queues.yaml: letters
older than `keep` or beyond the newest `max_entries` are dropped on every write.
This module talks to a redis-py client only; it never imports Celery.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

RECORDS = "poli:dead:records"
TASKS = "poli:dead:tasks"
INDEX = "poli:dead:index"


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


class AmbiguousId(LookupError):
    """A prefix matching more than one letter."""


class DeadLetterStore:
    """Letters in one Redis database, bounded by age and count."""

    def __init__(self, client: Any, keep_seconds: float, max_entries: int) -> None:
        self.client = client
        self.keep_seconds = keep_seconds
        self.max_entries = max_entries

    def add(self, letter: DeadLetter) -> None:
        pipe = self.client.pipeline()
        pipe.hset(RECORDS, letter.id, letter.to_json())
        pipe.hset(TASKS, letter.id, letter.task)
        pipe.zadd(INDEX, {letter.id: letter.failed_at})
        pipe.execute()
        self.trim(letter.failed_at)

    def trim(self, now: float | None = None) -> int:
        """Drop letters past retention; how many were dropped."""
        now = time.time() if now is None else now
        old = _names(self.client.zrangebyscore(INDEX, "-inf", f"({now - self.keep_seconds}"))
        surplus = int(self.client.zcard(INDEX)) - len(old) - self.max_entries
        if surplus > 0:
            old += _names(self.client.zrange(INDEX, len(old), len(old) + surplus - 1))
        return self.remove(old)

    def remove(self, ids: list[str]) -> int:
        if not ids:
            return 0
        pipe = self.client.pipeline()
        pipe.hdel(RECORDS, *ids).hdel(TASKS, *ids).zrem(INDEX, *ids)
        return int(pipe.execute()[2])

    def list(self, task: str | None = None, since: float | None = None) -> list[DeadLetter]:
        """Letters oldest first, optionally of one task and failed at or after `since`."""
        ids = _names(
            self.client.zrangebyscore(INDEX, since if since is not None else "-inf", "+inf")
        )
        if task is not None:
            names = self.client.hmget(TASKS, ids) if ids else []
            ids = [i for i, name in zip(ids, names, strict=True) if _text(name) == task]
        raw = self.client.hmget(RECORDS, ids) if ids else []
        return [DeadLetter.from_json(r) for r in raw if r is not None]

    def newest(
        self, limit: int, task: str | None = None, since: float | None = None
    ) -> tuple[list[DeadLetter], int]:
        """The newest `limit` letters (of `task`, failed at or after `since`) and how many
        match in all: a page of a large store reads only the letters it shows."""
        low = since if since is not None else "-inf"
        if task is None:
            total = int(self.client.zcount(INDEX, low, "+inf"))
            ids = _names(self.client.zrevrangebyscore(INDEX, "+inf", low, start=0, num=limit))
        else:
            every = _names(self.client.zrevrangebyscore(INDEX, "+inf", low))
            names = self.client.hmget(TASKS, every) if every else []
            matching = [i for i, name in zip(every, names, strict=True) if _text(name) == task]
            total, ids = len(matching), matching[:limit]
        raw = self.client.hmget(RECORDS, ids) if ids else []
        return [DeadLetter.from_json(r) for r in raw if r is not None], total

    def get(self, id_or_prefix: str) -> DeadLetter | None:
        """The letter with this id, or the one whose id starts with it (AmbiguousId if several)."""
        raw = self.client.hget(RECORDS, id_or_prefix)
        if raw is not None:
            return DeadLetter.from_json(raw)
        matches = [i for i in _names(self.client.hkeys(TASKS)) if i.startswith(id_or_prefix)]
        if len(matches) > 1:
            raise AmbiguousId(id_or_prefix)
        raw = self.client.hget(RECORDS, matches[0]) if matches else None
        return DeadLetter.from_json(raw) if raw is not None else None

    def purge(self, older_than: float | None = None, now: float | None = None) -> int:
        """Remove every letter, or those failed more than `older_than` seconds ago."""
        now = time.time() if now is None else now
        ceiling = "+inf" if older_than is None else f"({now - older_than}"
        return self.remove(_names(self.client.zrangebyscore(INDEX, "-inf", ceiling)))

    def counts(self) -> dict[str, int]:
        """Letters per task name."""
        return dict(Counter(_text(name) for name in self.client.hvals(TASKS)))


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _names(values: list[Any]) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else v for v in values]
