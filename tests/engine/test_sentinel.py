"""Redis Sentinel for real: a redis-server and a sentinel watching it (`redis-server
--sentinel`), a `sentinel://` broker with `master_name`; a real worker's failure is a dead
letter read back by `polictl dead list` through the sentinel, and `polictl schedules` reads
beat's state there too (it used to say it could not)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_process import built_app, celery_env, worker_process
from redis_server import RedisServer
from reliability_process import CONFIG, wait_for_letter

from engine.runtime.embedded import free_port, redis_binary

MASTER = "polimaster"


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """(sentinel URL) of a sentinel on a free port that monitors a fresh redis-server."""
    directory = tmp_path_factory.mktemp("sentinel")
    master = RedisServer(directory / "master")
    master.start()
    port = free_port()
    conf = directory / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {master.port} 1\n"
    )
    log = open(directory / "sentinel.log", "w")  # noqa: SIM115 - owned by the process
    process = subprocess.Popen([redis_binary(), str(conf), "--sentinel"], stdout=log, stderr=log)
    try:
        _wait_for_master(port)
        yield f"sentinel://127.0.0.1:{port}/2"
    finally:
        process.terminate()
        process.wait(10)
        master.stop()


def _wait_for_master(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(f"SENTINEL get-master-addr-by-name {MASTER}\r\n".encode())
                if b"127.0.0.1" in sock.recv(256):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the sentinel did not start")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The reliability config, its broker behind the sentinel."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("__pycache__", "var"))
    queues = (target / "queues.yaml").read_text()
    broker = "broker:\n  url: ${POLI_BROKER_URL}\n  result_backend: broker\n"
    assert queues.startswith(broker)
    sentinel_broker = broker + f"  transport_options: {{master_name: {MASTER}}}\n"
    (target / "queues.yaml").write_text(sentinel_broker + queues.removeprefix(broker))
    return target


def polictl(config: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(config), *args],
        env=celery_env(config, url, POLI_DATA_DIR=str(config / "var")),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_sentinel_broker_runs_tasks_keeps_dead_letters_and_polictl_reads_them(
    config, sentinel, tmp_path, monkeypatch
):
    monkeypatch.syspath_prepend(str(config))
    with built_app(config, sentinel) as app:
        assert app.conf.broker_transport_options["master_name"] == MASTER
        with worker_process(app, config, sentinel, ["default"], tmp_path / "w.log", concurrency=1):
            failed = app.send_task("default.fail", args=[str(tmp_path / "j")], kwargs={})
            wait_for_letter(app, failed.id)
    listed = polictl(config, sentinel, "dead", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [letter["id"] for letter in json.loads(listed.stdout)] == [failed.id]
    schedules = polictl(config, sentinel, "schedules")
    assert schedules.returncode == 0, schedules.stderr
    # read through the sentinel's master: no beat holds the lock (none runs here)
    assert "beat: no beat holds the lock" in schedules.stdout, schedules.stdout
