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
"""

from __future__ import annotations

import logging
from typing import Any

from celery.backends.redis import RedisBackend, SentinelBackend
from celery.exceptions import BackendStoreError

logger = logging.getLogger("poli.results")


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


class PoliRedisBackend(_GivesUp, RedisBackend):
    pass


class PoliSentinelBackend(_GivesUp, SentinelBackend):
    pass


# Celery's backend aliases (celery/app/backends.py), as the app's loader overrides them
BACKENDS = {
    "redis": f"{__name__}:PoliRedisBackend",
    "rediss": f"{__name__}:PoliRedisBackend",
    "sentinel": f"{__name__}:PoliSentinelBackend",
}
