"""RabbitMQ as a first-class broker: poli keeps its own state (dead letters, delivery counts,
beat's lock and due times) in the result backend's Redis. Real workers and beats on the
machine's RabbitMQ (127.0.0.1:5672, guest), each test in a vhost of its own, deleted after;
RabbitMQ is started when it is not running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from celery_process import built_app, celery_beat, celery_env, worker_process
from reliability_process import CONFIG, journal, letters, parent_of, wait_for, wait_for_letter

RABBITMQCTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
pytestmark = pytest.mark.skipif(not os.path.exists(RABBITMQCTL), reason="no RabbitMQ here")


def rabbitmqctl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RABBITMQCTL, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def rabbitmq() -> None:
    """The machine's RabbitMQ, started (detached, a bounded wait) when it is not running."""
    if rabbitmqctl("status", timeout=20).returncode == 0:
        return
    subprocess.run(["rabbitmq-server", "-detached"], check=False, timeout=30)
    assert rabbitmqctl("await_startup", "--timeout", "60", timeout=70).returncode == 0


@pytest.fixture
def amqp_url(rabbitmq) -> str:
    vhost = f"poli-test-{uuid.uuid4().hex[:8]}"
    assert rabbitmqctl("add_vhost", vhost).returncode == 0
    try:
        assert (
            rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*").returncode == 0
        )
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def config(tmp_path, redis_url) -> Path:
    """The reliability config, its results (and so poli's state) in the test's Redis."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("__pycache__"))
    queues = (target / "queues.yaml").read_text()
    (target / "queues.yaml").write_text(
        queues.replace("result_backend: broker", f"result_backend: {redis_url}")
    )
    return target


@pytest.fixture
def app(config, amqp_url):
    with built_app(config, amqp_url) as app:
        yield app


def rabbit_worker(app, config: Path, amqp_url: str, log: Path):
    args = ("--prefetch-multiplier", "1")
    return worker_process(app, config, amqp_url, ["default"], log, *args, concurrency=1)


def test_a_permanent_failure_is_a_dead_letter_and_replays(app, config, amqp_url, tmp_path):
    book = tmp_path / "journal"
    with rabbit_worker(app, config, amqp_url, tmp_path / "w.log"):
        failed = app.send_task("default.fail", args=[str(book)], kwargs={"reason": "no such user"})
        letter = wait_for_letter(app, failed.id)
        assert (letter.reason, letter.queue, letter.kwargs) == (
            "not retried",
            "default",
            {"reason": "no such user"},
        )
        replay = subprocess.run(
            [sys.executable, "-m", "polictl", "-C", str(config), "dead", "replay", failed.id],
            env=celery_env(config, amqp_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert replay.returncode == 0, replay.stderr
        again = wait_for_letter(app, letter.replay_id)  # it fails again: a letter naming the first
        assert again.replay_of == failed.id
    assert failed.id not in letters(app)


def test_a_killed_worker_loses_nothing(app, config, amqp_url, tmp_path):
    """kill -9 of the main process mid-task: RabbitMQ gives the unacknowledged message
    (acks_late) to the other worker as soon as the connection drops."""
    book = tmp_path / "journal"
    with ExitStack() as stack:
        workers = [
            stack.enter_context(rabbit_worker(app, config, amqp_url, tmp_path / f"w{i}.log"))[1]
            for i in (1, 2)
        ]
        result = app.send_task("default.work", args=[str(book), 3])
        ((_, _, child, _),) = wait_for(book, "start", 1, 20)
        holder = next(w for w in workers if w.pid == parent_of(child))
        os.kill(holder.pid, signal.SIGKILL)
        wait_for(book, "start", 2, 30)
        assert result.get(timeout=30) == "done"
    done = Counter(row[1] for row in journal(book) if row[0] == "done")
    assert done == {result.id: 1}, journal(book)
    assert letters(app) == {}


def test_two_beats_send_once_per_due_time(app, config, amqp_url, tmp_path):
    (config / "schedules.yaml").write_text(
        "timezone: UTC\nschedules:\n  tick: {task: system.work, every: 1s, args: [/dev/null]}\n"
    )
    with ExitStack() as stack:
        for i in (1, 2):
            state = tmp_path / f"beat{i}"
            state.mkdir()
            stack.enter_context(celery_beat(config, amqp_url, state, tmp_path / f"b{i}.log"))
        dues: list[str] = []
        deadline = time.monotonic() + 40
        while len(dues) < 4:
            assert time.monotonic() < deadline, (tmp_path / "b1.log").read_text()
            dues += take_dues(app)
        time.sleep(1.5)  # a second beat's send of the same due time would be in by now
        dues += take_dues(app)
    assert len(dues) == len(set(dues)), dues


def take_dues(app) -> list[str]:
    """The `poli_due` of each message beat sent since the last call (taken off the queue)."""
    found = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("system")
        while True:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                break
            found.append(message.headers["poli_due"])
            message.ack()
        queue.close()
    return found
