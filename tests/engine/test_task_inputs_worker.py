"""Task inputs on a real Redis and a real worker: refused before publishing from Python, and
failed at once (never retried, the handler never called) by a worker that receives them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis
from celery import Celery
from celery_process import celery_worker

from engine.config import load
from engine.inputs import InvalidTaskInput
from engine.runtime.app.build import build_app

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
# Retries on any exception: a TypeError from inside the handler would be retried.
RETRY_ANYTHING = """
  anything: {max_retries: 2, backoff: fixed, initial: 1s, max: 1s, retry_on: [Exception]}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(MINIMAL, target)
    tasks = (target / "tasks.yaml").read_text()
    tasks = tasks.replace("retry_policies:\n", "retry_policies:" + RETRY_ANYTHING, 1)
    tasks += '  system.counted: {handler: "testhandlers:flaky", retry: anything}\n'
    (target / "tasks.yaml").write_text(tasks)
    return target


@pytest.fixture
def app(config: Path, redis_url: str):
    result = load(config, env={"POLI_BROKER_URL": redis_url})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    yield app
    app.close()


def test_sends_from_python_are_checked_before_publishing(app, redis_url: str) -> None:
    broker = redis.Redis.from_url(redis_url)
    task = app.tasks["system.counted"]
    with pytest.raises(InvalidTaskInput, match=r"marker: input should be a valid string, got 1"):
        task.delay(marker=1)
    with pytest.raises(InvalidTaskInput, match=r"fail_times: input should be a valid integer"):
        task.apply_async(kwargs={"marker": "m", "fail_times": "2"})
    with pytest.raises(InvalidTaskInput) as refused:
        app.send_task("system.counted", args=["m", 2, 3])
    assert str(refused.value) == (
        "system.counted: arguments do not fit testhandlers:flaky(marker: str, fail_times: int = 2):"
        " too many positional arguments"
    )
    assert broker.llen("system") == 0  # nothing reached the broker
    app.send_task("system.counted", kwargs={"marker": "m"})
    assert broker.llen("system") == 1


def test_a_worker_fails_inputs_that_do_not_fit_at_once(app, config, redis_url, tmp_path) -> None:
    marker = tmp_path / "marker"
    # An older client (plain Celery, no checks) sends what the handler cannot take.
    sent = Celery.send_task(
        app, "system.counted", kwargs={"marker": str(marker), "fail_times": "2"}
    )
    with celery_worker(app, config, redis_url, ["system"], tmp_path / "worker.log"):
        sent.get(timeout=30, propagate=False)
    assert sent.state == "FAILURE"
    assert isinstance(sent.result, InvalidTaskInput)
    assert str(sent.result) == (
        "system.counted: arguments do not fit testhandlers:flaky(marker: str, fail_times: int = 2):"
        " fail_times: input should be a valid integer, got '2'"
    )
    assert not marker.exists()  # the handler never ran, so nothing to retry
    assert "Retry in" not in (tmp_path / "worker.log").read_text()
