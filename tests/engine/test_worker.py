"""A real worker and beat started from engine.app, on the session's own Redis.

Each declared behaviour (routing, retries with backoff, what does not retry,
time limits, rate limits, the beat schedule) is shown by what a real process did.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.exceptions import SoftTimeLimitExceeded
from celery_process import celery_beat, celery_env, celery_worker

from engine.config import load
from engine.runtime.app.build import build_app

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
QUEUES = ["default", "alerts", "reports", "system"]


def make_app(url: str):
    result = load(MINIMAL, env={"POLI_BROKER_URL": url})
    assert result.platform is not None, result.diagnostics
    return build_app(result.platform)


@pytest.fixture(scope="module")
def shared_url(redis_server):
    return f"{redis_server.url}/0"


@pytest.fixture(scope="module")
def app(shared_url):
    app = make_app(shared_url)
    yield app
    app.close()


@pytest.fixture(scope="module")
def worker(app, shared_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with celery_worker(app, MINIMAL, shared_url, QUEUES, log) as node:
        yield node


@pytest.fixture
def fresh_app(redis_url):
    app = make_app(redis_url)
    yield app
    app.close()


def test_each_queue_runs_its_tasks_through_its_route(app, worker):
    results = {q: app.send_task(f"{q}.echo", args=[q]) for q in QUEUES}
    for queue, result in results.items():
        assert result.get(timeout=20)["queue"] == queue


def test_a_queue_without_a_consumer_keeps_its_messages(fresh_app, redis_url, tmp_path):
    with celery_worker(fresh_app, MINIMAL, redis_url, ["alerts"], tmp_path / "w.log"):
        assert fresh_app.send_task("alerts.echo").get(timeout=20)["queue"] == "alerts"
        fresh_app.send_task("reports.echo")
        time.sleep(1)
        assert redis.Redis.from_url(redis_url).llen("reports") == 1


def test_retry_policy_backs_off_exponentially_then_succeeds(app, worker, tmp_path):
    marker = tmp_path / "flaky"
    assert app.send_task("system.flaky", args=[str(marker), 2]).get(timeout=30) == 3
    first, second, third = (float(t) for t in marker.read_text().split())
    # policy quick: initial 1s, cap 2s, no jitter -> delays of 1s then 2s
    assert 0.9 <= second - first < 2.5
    assert 1.9 <= third - second < 5


def test_retries_stop_at_max_retries(app, worker, tmp_path):
    marker = tmp_path / "flaky"
    result = app.send_task("system.flaky", args=[str(marker), 10])
    with pytest.raises(Exception, match="attempt 3"):
        result.get(timeout=30)
    assert len(marker.read_text().split()) == 3  # first try + max_retries 2


def test_an_exception_not_in_retry_on_fails_at_once(app, worker, tmp_path):
    marker = tmp_path / "fatal"
    with pytest.raises(ValueError, match="never retried"):
        app.send_task("system.fatal", args=[str(marker)]).get(timeout=20)
    time.sleep(1.5)
    assert marker.read_text() == "1"


def test_soft_time_limit_interrupts_the_task(app, worker, tmp_path):
    marker = tmp_path / "sleep"
    with pytest.raises(SoftTimeLimitExceeded):
        app.send_task("system.sleep", args=[10, str(marker)]).get(timeout=20)
    assert marker.read_text() == "soft"


def test_hard_time_limit_kills_a_task_that_ignores_the_soft_one(app, worker):
    start = time.monotonic()
    with pytest.raises(Exception, match="TimeLimitExceeded"):
        app.send_task("system.stubborn", args=[10]).get(timeout=20)
    assert time.monotonic() - start < 8  # time_limit 3s, not the 10s the task wanted


def test_rate_limit_spaces_out_executions(app, worker):
    start = time.monotonic()
    results = [app.send_task("system.limited", args=[i]) for i in range(3)]
    for result in results:
        result.get(timeout=20)
    assert time.monotonic() - start >= 1.8  # 60/m: one token a second


def test_beat_sends_the_declared_schedule(fresh_app, redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    with celery_beat(MINIMAL, redis_url, tmp_path, tmp_path / "beat.log"):
        deadline = time.monotonic() + 15
        while client.llen("system") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert client.llen("system") >= 2, (tmp_path / "beat.log").read_text()
    assert client.llen("alerts") == 0  # the cron schedule is days away
    message = json.loads(client.lindex("system", 0))
    assert message["headers"]["task"] == "system.echo"


def test_celery_inspect_sees_the_declared_tasks_and_queues(app, worker, shared_url):
    command = [sys.executable, "-m", "celery", "-A", "engine.app", "inspect", "registered"]
    command += ["-d", worker, "--timeout", "5"]
    out = subprocess.run(
        command,
        cwd=MINIMAL,
        env=celery_env(MINIMAL, shared_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    for name in ("default.echo", "alerts.echo", "system.flaky", "system.sleep"):
        assert name in out.stdout
    queues = app.control.inspect(destination=[worker], timeout=3).active_queues()[worker]
    assert sorted(q["name"] for q in queues) == sorted(QUEUES)
