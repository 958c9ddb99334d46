"""Results on Redis in one round trip a task.

Celery's Redis backend stores a result with two: a GET (a stored SUCCESS is never
overwritten: a redelivered run of a task whose ack was lost must not turn its success
into a failure) and then MULTI/SETEX/PUBLISH/EXEC. A no-op task on RabbitMQ spent as
long in that GET as in the write (cProfile of a solo worker, docs/performance.md), and
Celery's own defaults store no result at all. `ResultBackend` keeps the same rule and the
same keys, in one Lua script: read, keep a SUCCESS, else write with its expiry and publish.
"""

from __future__ import annotations

from typing import Any

from celery import states
from celery.backends.redis import RedisBackend
from celery.exceptions import BackendStoreError
from kombu.utils.encoding import bytes_to_str

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


class ResultBackend(RedisBackend):
    """Celery's Redis result backend, a result stored in one round trip (`STORE`)."""

    def _store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: Any = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        meta = self._get_result_meta(
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
        self.ensure(self._store, (self.get_key_for_task(task_id), value, expires))
        return result

    def _store(self, key: str, value: Any, expires: Any) -> None:
        seconds = int(
            expires.total_seconds() if hasattr(expires, "total_seconds") else expires or 0
        )
        script = getattr(self, "_poli_store", None)
        if script is None:
            script = self._poli_store = self.client.register_script(STORE)
        script(keys=[key], args=[value, seconds])


def backend_class(resolved: type) -> type:
    """poli's backend in place of Celery's plain Redis one (Sentinel's and others kept)."""
    return ResultBackend if resolved is RedisBackend else resolved
