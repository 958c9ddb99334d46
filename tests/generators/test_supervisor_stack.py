"""The rendered supervisor programs run under a real supervisord against a real Redis:
a task sent to every queue runs, and `supervisorctl stop` lets a running task finish."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from render_cases import load_case, local_deploy

from generators.supervisor import render_supervisor
from polictl.files import write_tree

BIN = Path(sys.prefix) / "bin"
SUPERVISORD_CONF = """\
[unix_http_server]
file={tmp}/supervisor.sock

[supervisord]
nodaemon=true
logfile={tmp}/supervisord.log
pidfile={tmp}/supervisord.pid
childlogdir={tmp}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{tmp}/supervisor.sock

[include]
files = {tmp}/conf.d/poli.conf
"""


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def stack(redis_url: str, tmp_path: Path) -> Iterator[tuple]:
    """supervisord running the rendered poli.conf; the broker URL only in the env file."""
    platform = local_deploy(load_case("stack", broker_url=redis_url), tmp_path, user="")
    (tmp_path / "poli.env").write_text(f"POLI_BROKER_URL={redis_url}\n")
    (tmp_path / "log").mkdir()
    write_tree(tmp_path / "conf.d", render_supervisor(platform))
    conf = tmp_path / "supervisord.conf"
    conf.write_text(SUPERVISORD_CONF.format(tmp=tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLI_")}
    process = subprocess.Popen(
        [str(BIN / "supervisord"), "-c", str(conf)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip

    def ctl(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "supervisorctl"), "-c", str(conf), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    try:
        yield platform, ctl, tmp_path
    finally:
        if process.poll() is None:
            ctl("shutdown")
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # supervisord and every child
                process.wait()


def test_tasks_run_on_every_queue_and_stop_lets_a_running_task_finish(stack) -> None:
    from engine.runtime.app.build import build_app

    platform, ctl, tmp = stack
    app = build_app(platform)
    expected = {f"default-1@{socket.gethostname()}", f"slow-1@{socket.gethostname()}",
                f"slow-2@{socket.gethostname()}"}  # fmt: skip

    def nodes() -> set[str]:
        return {name for reply in app.control.ping(timeout=0.5) for name in reply}

    try:
        wait_for(lambda: nodes() >= expected, 45, f"workers {expected}")
        for task in ("default.sleep", "slow.sleep"):
            marker = tmp / task
            app.send_task(task, args=[str(marker), 0])
            wait_for(marker.exists, 20, f"{task} to run")

        long_marker = tmp / "long"
        app.send_task("slow.sleep", args=[str(long_marker), 4])
        wait_for(Path(f"{long_marker}.started").exists, 20, "the long task to start")
        started = time.monotonic()
        result = ctl("stop", "poli:*")
        assert result.returncode == 0, result.stdout + result.stderr
        assert long_marker.read_text() == "done"  # the warm shutdown let it finish
        assert time.monotonic() - started > 2
        logs = sorted(p.name for p in (tmp / "log").iterdir())
        assert {"celery_worker_default.log", "celery_worker_slow_01.log", "celery_beat.log"} <= set(
            logs
        )
    finally:
        app.close()
