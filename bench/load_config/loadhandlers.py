"""The load test's one handler: succeeds, fails once then succeeds, or fails for good.

Each success is counted in the broker's Redis (`bench:done`, a hash of task id -> runs), so
the test counts completions by task id, including any duplicate.
"""

import os
import time

import redis

_client = None


class Transient(Exception):
    """Retried by the `transient` policy."""


def _redis():
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(os.environ["POLI_BROKER_URL"]))
    return _client[1]


def work(kind: str, seconds: float = 0.005) -> str:
    from celery import current_task

    request = current_task.request
    if kind == "permanent":
        raise ValueError("permanent failure")
    if kind == "transient" and request.retries == 0:
        raise Transient("fails on the first attempt")
    time.sleep(seconds)
    _redis().hincrby("bench:done", request.id, 1)
    return kind
