"""A real worker whose result backend (a Redis of its own, apart from the broker's) goes away
while a task finishes: what docs/reliability.md promises ("Results under a broker outage").
Shorter than `result_retry`: the result is stored when it is back. Longer: the result is
lost and the worker says so, the message is acknowledged, the work is not redone, and no
FAILURE or dead letter says that work which succeeded failed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery_process import worker_process
from reliability_process import CONFIG, RestartableRedis, journal, letters, wait_for

from engine.config import load
from engine.runtime.app.build import build_app


@pytest.fixture
def results(tmp_path: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def deployment(tmp_path: Path, broker: str, results: RestartableRedis, result_retry: str):
    """The reliability config with its results in `results`, a client app and one worker."""
    config = shutil.copytree(CONFIG, tmp_path / "config")
    queues = config / "queues.yaml"
    text = queues.read_text().replace("result_backend: broker", f"result_backend: {results.url}")
    queues.write_text(text.replace("result_retry: 30s", f"result_retry: {result_retry}"))
    app = build_app(load(config, env={"POLI_BROKER_URL": broker}).platform)
    log = tmp_path / "worker.log"
    options = ("--prefetch-multiplier", "1")
    try:
        with worker_process(app, config, broker, ["default"], log, *options, concurrency=1):
            yield app, log
    finally:
        app.close()


def stored(app, task_id: str) -> tuple[str, object]:
    """The state and result the result backend holds for `task_id` (read, not subscribed)."""
    meta = app.backend.get_task_meta(task_id, cache=False)
    return meta["status"], meta["result"]


def poll(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout}s:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)


def test_an_outage_shorter_than_result_retry_keeps_the_result(tmp_path, redis_url, results):
    book = tmp_path / "journal"
    with deployment(tmp_path, redis_url, results, "30s") as (app, log):
        task_id = app.send_task("default.work", args=[str(book), 0.5]).id
        wait_for(book, "start", 1, 20)
        results.stop()
        wait_for(book, "done", 1, 10)  # done while its result backend is away
        poll(lambda: "Failed operation _store_result" in log.read_text(), 10, "a retry", log)
        results.start()
        poll(lambda: stored(app, task_id) == ("SUCCESS", "done"), 20, "the stored result", log)
    assert [row[1] for row in journal(book) if row[0] == "start"] == [task_id]


def test_an_outage_longer_than_result_retry_loses_the_result_not_the_work(
    tmp_path, redis_url, results
):
    book = tmp_path / "journal"
    with deployment(tmp_path, redis_url, results, "1s") as (app, log):
        task_id = app.send_task("default.work", args=[str(book), 0.5]).id
        wait_for(book, "start", 1, 20)
        results.stop()
        gave_up = "failed to store result on the backend"  # Celery's words, when it gives up
        poll(lambda: gave_up in log.read_text(), 20, "the worker giving the result up", log)
        results.start()  # back: nothing the worker does after giving up may call it a failure
        after = app.send_task("default.work", args=[str(book)])  # runs once the first is over
        poll(lambda: stored(app, after.id)[0] == "SUCCESS", 20, "results stored again", log)

        assert stored(app, task_id) == ("PENDING", None)  # lost, not FAILURE
        assert letters(app) == {}
        lost = f"result of task {task_id} (SUCCESS) lost: failed to store result on the backend"
        errors = [line for line in log.read_text().splitlines() if "ERROR/" in line]
        assert len(errors) == 1 and lost in errors[0], errors  # one line, and no failure
        broker = redis.Redis.from_url(redis_url)
        assert broker.hlen("unacked") == 0 and broker.llen("default") == 0  # acknowledged
    starts = [row[1] for row in journal(book) if row[0] == "start"]
    assert starts == [task_id, after.id]  # the work was not redone


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("redis://127.0.0.1:1/0", "PoliRedisBackend"),
        ("rediss://127.0.0.1:1/0?ssl_cert_reqs=required", "PoliRedisBackend"),
        ("redis+socket:///tmp/poli-none.sock", "PoliRedisBackend"),  # the embedded broker's
        ("sentinel://127.0.0.1:1/0", "PoliSentinelBackend"),
    ],
)
def test_every_redis_result_backend_is_polis(tmp_path, url, backend):
    """Celery picks the backend class by the URL's scheme, through the loader poli sets."""
    config = shutil.copytree(CONFIG, tmp_path / "config")
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("result_backend: broker", f"result_backend: '{url}'"))  # fmt: skip
    if url.startswith("sentinel"):
        queues.write_text(queues.read_text().replace("broker:\n", "broker:\n  transport_options: {master_name: m}\n"))  # fmt: skip
    result = load(config, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    try:
        assert type(app.backend).__name__ == backend
    finally:
        app.close()
