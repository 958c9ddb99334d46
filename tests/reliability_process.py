"""Real workers for the reliability tests, and the journal their tasks write.

Each run of a task in tests/configs/reliability leaves `start ID PID AT` and
`done ID PID AT` lines in a journal file, so completions are counted by task id.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery_process import built_app, worker_process

CONFIG = Path(__file__).resolve().parent / "configs" / "reliability"


@pytest.fixture(name="app")
def reliability_app(redis_url):
    """The reliability config's app on the test's Redis, as a client (a fixture to import)."""
    with built_app(CONFIG, redis_url) as app:
        yield app


def parent_of(pid: int) -> int:
    """The parent process of `pid` (a pool process's worker)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@contextmanager
def worker(
    app, redis_url: str, log: Path, queue: str = "default", **env: str
) -> Iterator[subprocess.Popen]:
    """One real worker (prefork, one pool process, prefetch 1) on `queue`, answering pings."""
    args = ("--prefetch-multiplier", "1")
    with worker_process(app, CONFIG, redis_url, [queue], log, *args, concurrency=1, **env) as (
        _,
        process,
    ):
        yield process


def journal(path: Path) -> list[tuple[str, str, int, float]]:
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(event, task_id, int(pid), float(at)) for event, task_id, pid, at in rows]


def wait_for(path: Path, event: str, count: int, timeout: float) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [row for row in journal(path) if row[0] == event]
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"{count} {event!r} not seen in {timeout}s: {journal(path)}")


def letters(app) -> dict[str, object]:
    """The dead letters in the app's broker, by id."""
    from engine.runtime.delivery.reliability import dead_letters

    return {letter.id: letter for letter in dead_letters(app).list()}


def wait_for_letter(app, task_id: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while task_id not in (found := letters(app)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert task_id in found, found
    return found[task_id]


class RestartableRedis:
    """A redis-server with an append-only file, stopped and started again on the same port."""

    def __init__(self, directory: Path) -> None:
        from engine.runtime.embedded import free_port

        self.directory, self.port = directory, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import socket

        from engine.runtime.embedded import redis_binary

        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
