"""The rendered units' own command lines, environments and ReadWritePaths= run (a worker runs a task)
under the unit's restrictions, as far as this machine can apply them without systemd as
PID 1 (tests/sandbox.py says which: read-only file tree but for ReadWritePaths=, no
capabilities, no new privileges, MemoryDenyWriteExecute, UMask=0027, the unit's system call
filter). The first test shows the restrictions really hold inside the sandbox."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import socket
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import sandbox
from celery_process import built_app, stop
from render_cases import CONFIGS, load_case, local_deploy
from waiting import http_status, wait_for

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
kept = {p.split("/")[2] for p in sys.argv[1:2] + sys.argv[3:] if p.startswith("/tmp/")}
print(sorted(os.listdir("/tmp")) == sorted(kept) or os.listdir("/tmp"))  # a fresh /tmp
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
    # what /tmp may show: the writable dir, and this checkout with its venv (kept read-only)
    kept = [sandbox.REPOSITORY, os.path.realpath(sys.prefix)]
    command = [sys.executable, "-c", PROBE, str(tmp_path / "rw"), str(CONFIGS), *kept]
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

            def tasks_run() -> dict:  # the full case keeps no results: the worker counts
                stats = app.control.inspect([node], timeout=1).stats() or {}
                return stats.get(node, {}).get("total", {})

            answers = partial(app.control.ping, destination=[node], timeout=0.5)
            assert wait_for(answers, 90, 0.5), logs(tmp_path)
            app.send_task("default.echo", args=["sandboxed"])
            assert wait_for(lambda: tasks_run() == {"default.echo": 1}, 60, 0.5), logs(tmp_path)
            assert "succeeded in" in (tmp_path / "worker.log").read_text()
        processes.append(start(units["poli-beat.service"], tmp_path / "beat.log"))
        login = {"POLI_WEB_PASSWORD": "sandboxed"}
        processes.append(start(units["poli-flower.service"], tmp_path / "flower.log", **login))
        url = f"http://127.0.0.1:{flower.port}"
        assert wait_for(lambda: http_status(f"{url}/healthcheck") == 200, 90, 0.5), logs(tmp_path)
        assert http_status(f"{url}/metrics") == 401
        assert http_status(f"{url}/metrics", ("admin", "sandboxed")) == 200
        beat_log = tmp_path / "beat.log"
        assert wait_for(lambda: "beat: active" in beat_log.read_text(), 60, 0.5), logs(tmp_path)
        stop(processes[2])  # a clean stop releases the lock in Redis
        assert processes[2].returncode == 0, logs(tmp_path)
    finally:
        for process in reversed(processes):
            stop(process)


def logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(tmp_path.glob("*.log")))
