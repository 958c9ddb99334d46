"""The load test's one handler: succeeds, fails once then succeeds, or fails for good.

Each success is counted in the load test's Redis (`BENCH_COUNTS_URL`; `bench:done`, a hash of
task id -> runs), so the test counts completions by task id, including any duplicate; and by
worker (`bench:by_worker`, the worker's main process id -> runs), so the test kills a worker
only once it is running tasks.
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
        _client = (os.getpid(), redis.Redis.from_url(os.environ["BENCH_COUNTS_URL"]))
    return _client[1]


def work(kind: str, seconds: float = 0.005) -> str:
    from celery import current_task

    request = current_task.request
    if kind == "permanent":
        raise ValueError("permanent failure")
    if kind == "transient" and request.retries == 0:
        raise Transient("fails on the first attempt")
    time.sleep(seconds)
    counts = _redis().pipeline(transaction=False)
    counts.hincrby("bench:done", request.id, 1)
    counts.hincrby("bench:by_worker", os.getppid(), 1)  # a pool process's parent: the worker
    counts.execute()
    return kind
