"""Real `celery -A engine.app ...` processes for tests, always stopped afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def celery_env(config_dir: Path, broker_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "POLI_CONFIG_DIR": str(config_dir), "POLI_BROKER_URL": broker_url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def built_app(config_dir: Path, broker_url: str) -> Iterator:
    """The poli app for `config_dir` on `broker_url`, as a client in the test process."""
    from engine.config import load
    from engine.runtime.app.build import build_app

    result = load(config_dir, env={"POLI_BROKER_URL": broker_url})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    try:
        yield app
    finally:
        app.close()


@contextmanager
def worker_process(
    app,
    config_dir: Path,
    broker_url: str,
    queues: list[str],
    log: Path,
    *args: str,
    concurrency: int = 2,
    **env: str,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A worker consuming `queues`; yields its node name and process once it answers a ping,
    and stops it (its whole process group, if need be) afterwards."""
    node = f"test-{uuid.uuid4().hex[:8]}@localhost"
    command = [sys.executable, "-m", "celery", "-A", "engine.app", "worker", "-n", node]
    command += ["-Q", ",".join(queues), "--concurrency", str(concurrency), "--loglevel", "info"]
    command += ["--without-gossip", "--without-mingle", *args]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command,
            cwd=config_dir,
            env=celery_env(config_dir, broker_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()}")
        yield node, process
    finally:
        stop(process)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def celery_worker(
    app, config_dir: Path, broker_url: str, queues: list[str], log: Path, *args: str, **env: str
) -> Iterator[str]:
    """A worker consuming `queues`; yields its node name once it answers a ping."""
    with worker_process(app, config_dir, broker_url, queues, log, *args, **env) as (node, _):
        yield node


@contextmanager
def celery_beat(
    config_dir: Path, broker_url: str, state: Path, log: Path, **env: str
) -> Iterator[subprocess.Popen]:
    command = [sys.executable, "-m", "celery", "-A", "engine.app", "beat", "--loglevel", "info"]
    command += ["--schedule", str(state / "celerybeat-schedule"), "--max-interval", "1"]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command,
            cwd=config_dir,
            env=celery_env(config_dir, broker_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)
