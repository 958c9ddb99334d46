"""The workers' liveness probe, run for real: the shell test from the rendered manifest
against the file a real `celery worker --heartbeat-file` keeps fresh, and stops
refreshing while the worker is stuck (here: stopped with SIGSTOP)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from celery_process import celery_beat, celery_worker
from render_cases import load_case

from engine.config import load
from engine.model import BEAT_HEARTBEAT_ENV
from engine.runtime.app.build import build_app
from engine.runtime.heartbeat import HEARTBEAT_SECONDS
from generators.kubernetes import (
    BEAT_HEARTBEAT_FILE,
    HEARTBEAT_FILE,
    STALE_SECONDS,
    fresh_file_test,
    render_kubernetes,
)

MINIMAL = Path(__file__).resolve().parents[1] / "configs" / "minimal"


def probe(path: Path, seconds: int = STALE_SECONDS) -> int:
    command = ["/bin/sh", "-c", fresh_file_test(str(path), seconds)]
    return subprocess.run(command, capture_output=True, timeout=10).returncode


def age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def wait_fresh(path: Path, timeout: float = 4 * HEARTBEAT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and age(path) < HEARTBEAT_SECONDS + 1):
        assert time.monotonic() < deadline, f"{path} was not touched within {timeout}s"
        time.sleep(0.2)


def make_old(path: Path) -> None:
    old = time.time() - 10 * STALE_SECONDS
    os.utime(path, (old, old))


def test_the_rendered_probe_is_this_shell_test_on_the_heartbeat_file() -> None:
    files = render_kubernetes(load_case("cluster"))
    container = next(yaml.safe_load_all(files["worker-alerts.yaml"]))["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["command"][-2:] == ["--heartbeat-file", HEARTBEAT_FILE]
    test = fresh_file_test(HEARTBEAT_FILE, STALE_SECONDS)
    assert container["livenessProbe"]["exec"]["command"] == ["/bin/sh", "-c", test]
    # A solo worker runs its tasks in its event loop: its heartbeat may be as old as
    # its longest task plus the margin before it counts as stuck.
    solo = next(yaml.safe_load_all(files["worker-reports-solo.yaml"]))["spec"]["template"]["spec"]
    command = solo["containers"][0]["livenessProbe"]["exec"]["command"]
    assert command[-1] == fresh_file_test(HEARTBEAT_FILE, 1830)


def test_the_probe_fails_on_a_missing_or_old_file_and_passes_on_a_fresh_one(tmp_path) -> None:
    path = tmp_path / "alive"
    assert probe(path) != 0
    path.touch()
    assert probe(path) == 0
    make_old(path)
    assert probe(path) != 0


@pytest.mark.timeout(120)
def test_a_real_worker_keeps_the_file_fresh_until_it_is_stuck(redis_url, tmp_path) -> None:
    result = load(MINIMAL, env={"POLI_BROKER_URL": redis_url})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    path, pidfile = tmp_path / "alive", tmp_path / "worker.pid"
    extra = ("--heartbeat-file", str(path), "--pidfile", str(pidfile))
    try:
        with celery_worker(app, MINIMAL, redis_url, ["default"], tmp_path / "w.log", *extra):
            wait_fresh(path)
            assert probe(path) == 0
            make_old(path)
            wait_fresh(path)  # the worker's timer touched it again
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGSTOP)
            try:
                time.sleep(0.5)  # kill() may return before the process has stopped
                make_old(path)
                time.sleep(HEARTBEAT_SECONDS + 2)  # a live worker would have touched it
                assert probe(path) != 0  # stuck: nothing touched it
            finally:
                os.kill(pid, signal.SIGCONT)
            wait_fresh(path)
            assert probe(path) == 0
    finally:
        app.close()


def test_beats_probe_is_the_same_test_on_its_own_heartbeat_file() -> None:
    beat = next(yaml.safe_load_all(render_kubernetes(load_case("cluster"))["beat.yaml"]))
    (container,) = beat["spec"]["template"]["spec"]["containers"]
    assert {"name": BEAT_HEARTBEAT_ENV, "value": BEAT_HEARTBEAT_FILE} in container["env"]
    test = fresh_file_test(BEAT_HEARTBEAT_FILE, STALE_SECONDS)
    assert container["livenessProbe"]["exec"]["command"] == ["/bin/sh", "-c", test]


@pytest.mark.timeout(120)
def test_a_real_beat_keeps_its_file_fresh_until_it_is_stuck(redis_url, tmp_path) -> None:
    path = tmp_path / "beat.alive"
    env = {BEAT_HEARTBEAT_ENV: str(path)}
    with celery_beat(MINIMAL, redis_url, tmp_path, tmp_path / "beat.log", **env) as process:
        wait_fresh(path, timeout=30)
        assert probe(path) == 0
        os.killpg(process.pid, signal.SIGSTOP)
        try:
            time.sleep(0.5)
            make_old(path)
            time.sleep(3)  # beat ticks at least every second (RELOAD_CHECK_SECONDS)
            assert probe(path) != 0
        finally:
            os.killpg(process.pid, signal.SIGCONT)
        wait_fresh(path)
        assert probe(path) == 0
