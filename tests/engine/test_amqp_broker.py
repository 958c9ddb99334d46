"""poli on RabbitMQ (`amqp://`, which queues.yaml accepts), for real: a worker started from
engine.app consumes from a virtual host this session creates and deletes, and the result
comes back through the Redis result backend. `.ci/run` starts RabbitMQ; without it the
test skips, and CI fails on that skip (it is not on tests/skips_allowed.txt)."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_process import celery_worker

from engine.config import load
from engine.runtime.app.build import build_app

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
BROKER_LINES = "broker:\n  url: ${POLI_BROKER_URL}\n  result_backend: broker\n"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def amqp_url() -> Iterator[str]:
    """A virtual host of this session's own on the local RabbitMQ, deleted afterwards."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=0.5).close()
    except OSError:
        pytest.skip("RabbitMQ not reachable on 127.0.0.1:5672 (.ci/run starts it)")
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl not found: no virtual host of the test's own")
    vhost = f"poli-test-{secrets.token_hex(6)}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


def test_a_worker_on_rabbitmq_runs_a_task_with_results_in_redis(amqp_url, redis_url, tmp_path):
    config = shutil.copytree(MINIMAL, tmp_path / "config", ignore=shutil.ignore_patterns("var"))
    queues = (MINIMAL / "queues.yaml").read_text()
    assert queues.startswith(BROKER_LINES)
    backend = f"broker:\n  url: ${{POLI_BROKER_URL}}\n  result_backend: {redis_url}\n"
    (config / "queues.yaml").write_text(backend + queues.removeprefix(BROKER_LINES))
    result = load(config, env={"POLI_BROKER_URL": amqp_url})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    try:
        assert (app.conf.broker_url, app.conf.result_backend) == (amqp_url, redis_url)
        with app.connection_for_write() as connection:
            assert connection.transport.driver_type == "amqp"
        with celery_worker(app, config, amqp_url, ["default"], tmp_path / "w.log"):
            sent = app.send_task("default.echo", args=["over amqp"])
            assert sent.get(timeout=30)["value"] == "over amqp"
    finally:
        app.close()
