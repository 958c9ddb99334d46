"""Celery's Redis result backends, with a result the backend could not take given up, not
turned into a failure.

Celery retries storing a result while the backend is away (`result_backend_always_retry`,
for about `reliability.result_retry`: engine.runtime.delivery.reliability). When it gives
up it raises BackendStoreError inside the task's trace, and Celery then handles the task
as failed: it tries to store a FAILURE (another round of retries, twice: in the pool
process and in the worker), and when the backend is back by then, the work that succeeded
is recorded as FAILURE and written to the dead letters, where a replay would do it again.
Here the store that gave up is logged, one line, and the run goes on as it was: a success
stays a success (acknowledged, its result lost), a failure still reaches the dead letters.

Celery's Redis backend also stores a result with two round trips: a GET (a stored SUCCESS is
never overwritten: a redelivered run of a task whose ack was lost must not turn its success
into a failure) and then MULTI/SETEX/PUBLISH/EXEC. A no-op task on RabbitMQ spent as long in
that GET as in the write (cProfile of a solo worker, docs/performance.md), and Celery's own
defaults store no result at all. `_OneTrip` keeps the same rule and the same keys in one Lua
script: read, keep a SUCCESS, else write with its expiry and publish.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import states
from celery.backends.redis import RedisBackend, SentinelBackend
from celery.exceptions import BackendStoreError
from kombu.utils.encoding import bytes_to_str

logger = logging.getLogger("poli.results")

# KEYS[1] the result's key; ARGV: the encoded meta, its expiry in seconds (0: none).
# Meta is JSON (poli sets result_serializer json): Lua's cjson reads its status.
STORE = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta = pcall(cjson.decode, current)
  if ok and type(meta) == 'table' and meta['status'] == 'SUCCESS' then return 0 end
end
local seconds = tonumber(ARGV[2])
if seconds > 0 then
  redis.call('SETEX', KEYS[1], seconds, ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
"""


class _GivesUp:
    """`store_result` that logs a result it could not store instead of raising."""

    def store_result(
        self, task_id: str, result: Any, state: str, traceback: Any = None, request: Any = None,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        try:
            return super().store_result(task_id, result, state, traceback, request, **kwargs)  # type: ignore[misc]
        except BackendStoreError as exc:
            logger.error(
                "result of task %s (%s) lost: %s (%s): the result backend was away longer than "
                "reliability.result_retry; the work is not redone",
                task_id, state, exc.args[0] if exc.args else exc, exc.__cause__,
            )  # fmt: skip
            return result


class _OneTrip:
    """`_store_result` of Celery's Redis backend in one round trip (`STORE`)."""

    def _store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: Any = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        meta = self._get_result_meta(  # type: ignore[attr-defined]
            result=result, state=state, traceback=traceback, request=request
        )
        meta["task_id"] = bytes_to_str(task_id)
        value = self.encode(meta)
        if isinstance(value, str) and len(value) > self._MAX_STR_VALUE_SIZE:
            raise BackendStoreError(
                "value too large for Redis backend", state=state, task_id=task_id
            )
        expires = self.failure_expires if state == states.FAILURE else None
        expires = self.expires if expires is None else expires
        # not through `ensure` (its own 20 retries a second apart): a connection error goes
        # to store_result's retries, bounded by reliability.result_retry, as Celery's GET did
        self._store(self.get_key_for_task(task_id), value, expires)
        return result

    def _store(self, key: str, value: Any, expires: Any) -> None:
        seconds = int(
            expires.total_seconds() if hasattr(expires, "total_seconds") else expires or 0
        )
        script = getattr(self, "_poli_store", None)
        if script is None:
            script = self._poli_store = self.client.register_script(STORE)
        script(keys=[key], args=[value, seconds])


class PoliRedisBackend(_GivesUp, _OneTrip, RedisBackend):
    pass


class PoliSentinelBackend(_GivesUp, SentinelBackend):
    pass
