"""The rendered units' own command lines, environments and ReadWritePaths= run (a worker runs a task)
under the unit's restrictions, as far as this machine can apply them without systemd as
PID 1 (tests/sandbox.py says which: read-only file tree but for ReadWritePaths=, no
capabilities, no new privileges, MemoryDenyWriteExecute, UMask=0027, the unit's system call
filter). The first test shows the restrictions really hold inside the sandbox."""

from __future__ import annotations

import base64
import dataclasses
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sandbox
from celery_process import built_app, stop
from render_cases import CONFIGS, load_case, local_deploy

from engine.runtime.embedded import free_port
from generators.systemd import render_systemd

pytestmark = pytest.mark.skipif(
    subprocess.run(["unshare", "--user", "--map-root-user", "true"]).returncode != 0
    or not shutil.which("systemd-analyze"),
    reason="no user namespaces or no systemd-analyze",
)
PROBE = """
import mmap, os, sys
open(sys.argv[1] + "/written", "w").close()
print(oct(os.stat(sys.argv[1] + "/written").st_mode & 0o777))
print(sorted(os.listdir("/tmp")) == [sys.argv[1].split("/")[2]] or os.listdir("/tmp"))
for attempt in (
    lambda: open(sys.argv[2] + "/not-written", "w"),
    lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC),
    lambda: os.chroot("/"),  # @privileged: refused by the filter even with the capability
):
    try:
        attempt()
        print("allowed")
    except OSError as error:
        print(error.errno)
"""


def directives(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(key + "=")]


def test_the_sandbox_restricts(tmp_path: Path) -> None:
    (tmp_path / "rw").mkdir()
    command = [sys.executable, "-c", PROBE, str(tmp_path / "rw"), str(CONFIGS)]
    result = subprocess.run(
        sandbox.command([str(tmp_path / "rw")], command), capture_output=True, text=True
    )
    assert (result.returncode, result.stdout.split(), result.stderr) == (
        0, ["0o640", "True", "30", "13", "1"], ""  # EROFS, EACCES, EPERM
    )  # fmt: skip


def start(unit: str, log: Path, **env: str) -> subprocess.Popen:
    """The unit's ExecStart= in the sandbox its ReadWritePaths= allows, in its
    WorkingDirectory= with its Environment= (instance 1 on this host)."""
    writable = shlex.split(directives(unit, "ReadWritePaths")[0])
    for path in writable:
        os.makedirs(path, mode=0o750, exist_ok=True)
    exec_start = directives(unit, "ExecStart")[0].replace("%i", "1")
    argv = shlex.split(exec_start.replace("%H", socket.gethostname()))
    env |= dict(e.split("=", 1) for e in directives(unit, "Environment"))
    with open(log, "w") as out:
        return subprocess.Popen(
            sandbox.command(writable, argv), cwd=directives(unit, "WorkingDirectory")[0],
            env={"PATH": os.environ["PATH"], **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def test_the_rendered_units_run_in_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded Redis, a worker, beat and Flower, each from its rendered unit, each in
    its own sandbox: the worker runs a task, beat takes its lock and stops cleanly, Flower
    answers the operator only."""
    platform = local_deploy(load_case("full"), tmp_path)
    flower = dataclasses.replace(platform.deploy.flower, port=free_port())
    units = render_systemd(
        dataclasses.replace(platform, deploy=dataclasses.replace(platform.deploy, flower=flower))
    )
    worker = units["poli-worker-default@.service"]
    assert "MemoryDenyWriteExecute=yes" in worker.splitlines()
    processes = [start(units["poli-redis.service"], tmp_path / "redis.log")]
    processes.append(start(worker, tmp_path / "worker.log"))
    monkeypatch.setenv("POLI_DATA_DIR", str(tmp_path / "state"))  # where the client finds it
    try:
        with built_app(CONFIGS / "full", "embedded") as app:
            node = f"default-1@{socket.gethostname()}"
            for _ in range(60):
                if app.control.ping(destination=[node], timeout=0.5):
                    break
                assert processes[-1].poll() is None, (tmp_path / "worker.log").read_text()
            app.send_task("default.echo", args=["sandboxed"])
            # The full case keeps no results: the worker's own count of tasks it ran.
            for _ in range(60):
                stats = app.control.inspect([node], timeout=0.5).stats() or {}
                if stats.get(node, {}).get("total") == {"default.echo": 1}:
                    break
            else:
                pytest.fail((tmp_path / "worker.log").read_text())
            assert "succeeded in" in (tmp_path / "worker.log").read_text()
        processes.append(start(units["poli-beat.service"], tmp_path / "beat.log"))
        login = {"POLI_WEB_PASSWORD": "sandboxed"}
        processes.append(start(units["poli-flower.service"], tmp_path / "flower.log", **login))
        url = f"http://127.0.0.1:{flower.port}"
        assert wait_for(lambda: http_status(f"{url}/healthcheck") == 200, 60, 0.5), (
            tmp_path / "flower.log"
        ).read_text()
        assert http_status(f"{url}/metrics") == 401
        assert http_status(f"{url}/metrics", ("admin", "sandboxed")) == 200
        beat_log = (tmp_path / "beat.log").read_text()
        assert "beat: active" in beat_log and processes[2].poll() is None, beat_log
        stop(processes[2])  # a clean stop releases the lock in Redis
        assert processes[2].returncode == 0, (tmp_path / "beat.log").read_text()
    finally:
        for process in reversed(processes):
            stop(process)


def http_status(url: str, login: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url)
    if login:
        token = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not listening yet


def wait_for(check, timeout: float, interval: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
