"""pytest fixtures for your own tests: your tasks on a real worker, in the test process, on a
broker of their own (the embedded broker's redis-server, in a temporary directory).

    # conftest.py
    pytest_plugins = ["engine.testing"]

    # test_reports.py
    def test_export(poli_app, poli_worker):
        result = poli_app.tasks["reports.export"].delay(kind="records")
        assert result.get(timeout=30)["rows"] > 0

Unlike eager mode, every message goes through the broker: routing to the declared queues,
JSON serialization, the input checks at both ends, retries after their countdowns, results
in the result backend. The worker runs Celery's solo pool in a thread, so time limits are
not enforced here (a pool process does that); test those with `celery -A engine.app worker`.

Fixtures: `poli_config_dir` (the directory with the three YAML files: $POLI_CONFIG_DIR, else
pytest's rootdir; override it in your conftest), `poli_broker` (session: the broker URL),
`poli_app` (the app built from that config, on that broker, which is emptied first) and
`poli_worker` (the worker consuming every declared queue; stopped after the test).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.model.broker import AUTH_FILE, loopback_url, server_args, socket_fits, socket_url
from engine.runtime.embedded import free_port, redis_binary

START_TIMEOUT = 10.0


@pytest.fixture
def poli_config_dir(request: pytest.FixtureRequest) -> Path:
    configured = os.environ.get("POLI_CONFIG_DIR")
    return Path(configured) if configured else Path(request.config.rootpath)


def _start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    socket = directory / "redis.sock"
    if socket_fits(socket):
        args, url = server_args(str(directory), socket=str(socket)), socket_url(socket)
    else:
        port = free_port()
        password = secrets.token_hex(16)  # never a Redis on TCP without one
        (directory / AUTH_FILE).write_text(f"requirepass {password}\n")
        (directory / AUTH_FILE).chmod(0o600)
        args, url = server_args(str(directory), port=port), loopback_url(port, password)
    log = (directory / "redis.log").open("w")
    return subprocess.Popen([redis_binary(), *args], stdout=log, stderr=subprocess.STDOUT), url


def _client(url: str) -> Any:
    """redis-py spells kombu's `redis+socket://PATH` as `unix://PATH`."""
    import redis

    return redis.Redis.from_url(url.replace("redis+socket://", "unix://", 1))


def _wait_answering(url: str, process: subprocess.Popen) -> None:
    import redis

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            _client(url).ping()
            return
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test broker (redis-server) did not start") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def poli_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = _start_redis(tmp_path_factory.mktemp("poli-broker"))
    try:
        _wait_answering(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def poli_app(poli_config_dir: Path, poli_broker: str) -> Iterator[Any]:
    from engine.config import load
    from engine.diagnostics import format_text
    from engine.runtime.app.build import build_app

    _client(poli_broker).flushall()  # this session's own broker
    result = load(poli_config_dir, env={**os.environ, "POLI_BROKER_URL": poli_broker})
    if result.platform is None:
        pytest.fail(f"invalid config in {poli_config_dir}:\n{format_text(result.diagnostics)}")
    broker = dataclasses.replace(result.platform.broker, url=poli_broker, result_backend="broker")
    app = build_app(dataclasses.replace(result.platform, broker=broker, eager=False))
    try:
        yield app
    finally:
        # results the test left behind let go of their subscriptions now, while the broker
        # still runs, and never retry against a broker the session has stopped
        app.backend.always_retry = False
        gc.collect()
        app.close()


@pytest.fixture
def poli_worker(poli_app: Any) -> Iterator[Any]:
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        poli_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ) as worker:
        yield worker
