"""Quorum queues (`type: quorum` in queues.yaml) on the machine's RabbitMQ, in a vhost of the
module's own (test_amqp_broker's fixture, deleted after): a real worker consumes one and runs
a task, and `polictl check-queues` reports a server queue whose type is not the declared one."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import test_amqp_broker
from celery_process import celery_worker
from click.testing import CliRunner
from test_amqp_broker import BROKER_LINES, MINIMAL

from engine.config import load
from engine.runtime.app.build import build_app
from polictl.main import cli

amqp_url = test_amqp_broker.amqp_url  # the vhost fixture: one of this module's own, deleted after


def config_with(tmp_path: Path, redis_url: str, default_type: str) -> Path:
    """The minimal config on amqp://, results in the test's Redis, `default` of that type."""
    config = shutil.copytree(MINIMAL, tmp_path / "config", ignore=shutil.ignore_patterns("var"))
    queues = (MINIMAL / "queues.yaml").read_text().removeprefix(BROKER_LINES)
    queues = queues.replace(
        "default: {description: General purpose tasks}",
        f"default: {{description: General purpose tasks, type: {default_type}}}",
    )
    backend = f"broker:\n  url: ${{POLI_BROKER_URL}}\n  result_backend: {redis_url}\n"
    (config / "queues.yaml").write_text(backend + queues)
    return config


def queue_types(amqp_url: str) -> dict[str, str]:
    vhost = amqp_url.rsplit("/", 1)[1]
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    rows = [line.split() for line in listed.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 2 and row[0] != "name"}


def check_queues(config: Path, amqp_url: str):
    env = {"POLI_BROKER_URL": amqp_url, "POLI_CONFIG_DIR": str(config)}
    return CliRunner().invoke(cli, ["-C", str(config), "check-queues"], env=env)


def test_a_worker_consumes_a_quorum_queue_and_runs_a_task(amqp_url, redis_url, tmp_path):
    config = config_with(tmp_path, redis_url, "quorum")
    result = load(config, env={"POLI_BROKER_URL": amqp_url})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    try:
        queue = next(q for q in app.conf.task_queues if q.name == "default")
        assert queue.queue_arguments == {"x-queue-type": "quorum"}
        assert queue.exchange.type == "topic"  # what Celery's native delayed delivery needs
        log = tmp_path / "w.log"
        with celery_worker(app, config, amqp_url, ["default"], log):
            sent = app.send_task("default.echo", args=["through a quorum queue"])
            assert sent.get(timeout=60)["value"] == "through a quorum queue"
            # a countdown (what retry backoff sends) goes through Celery's native delayed
            # delivery, which needs the topic exchange: it arrives, and not before its time
            started = time.monotonic()
            later = app.send_task("default.echo", args=["later"], countdown=2)
            assert later.get(timeout=60)["value"] == "later"
            assert time.monotonic() - started >= 2
            assert queue_types(amqp_url)["default"] == "quorum"
        assert "Global QoS is disabled" in log.read_text()  # Celery's quorum handling is on
        checked = check_queues(config, amqp_url)
        assert (checked.exit_code, checked.output.splitlines()) == (
            0,
            [
                "default: quorum, as declared",
                *(f"{name}: classic, not declared yet: workers declare it"
                  for name in ("alerts", "reports", "system")),
            ],
        )  # fmt: skip
    finally:
        app.close()


def test_a_declared_classic_queue_that_is_quorum_on_the_server_is_reported(
    amqp_url, redis_url, tmp_path
):
    quorum = config_with(tmp_path / "q", redis_url, "quorum")
    with build_app(load(quorum, env={"POLI_BROKER_URL": amqp_url}).platform) as app:
        with app.connection_for_write() as connection:  # what a worker of the old config did
            queue = next(q for q in app.conf.task_queues if q.name == "default")
            queue.bind(connection.default_channel).declare()
    classic = config_with(tmp_path / "c", redis_url, "classic")
    checked = check_queues(classic, amqp_url)
    vhost = amqp_url.rsplit("/", 1)[1]
    assert checked.exit_code == 1, checked.output
    assert checked.output.splitlines() == [
        "default: error: declared classic, the server's queue is quorum (Queue.declare: (406)"
        " PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'default' in vhost"
        f" '{vhost}': received none but current is the value 'quorum' of type 'longstr')",
        "alerts: classic, not declared yet: workers declare it",
        "reports: classic, not declared yet: workers declare it",
        "system: classic, not declared yet: workers declare it",
        "  hint: a queue's type cannot change in place: drain it, delete it (rabbitmqctl"
        " delete_queue NAME), and let the workers declare it; or declare the server's type",
    ]
