"""Real `celery -A engine.app beat` processes on the session's Redis: one active beat
however many run, takeover after kill -9, and the YAML reloaded under a running beat."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from celery_process import celery_beat
from model_values import beat
from redis_server import embedded_command

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
BOUND = beat().takeover_bound  # the default lock_ttl's declared takeover bound
WINDOW = 12  # runs of the every-1s schedule watched with two beats up


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(MINIMAL, target)
    return target


def sends(client: redis.Redis, queue: str = "system") -> list[tuple[str, str]]:
    """(schedule, due time) of every message beat put on `queue`, oldest first."""
    messages = [json.loads(m) for m in reversed(client.lrange(queue, 0, -1))]
    return [(m["headers"]["poli_schedule"], m["headers"]["poli_due"]) for m in messages]


def wait_for(condition: Callable[[], object], timeout: float, what: str, log: Path) -> float:
    """Seconds until `condition()` was true; fails with the beat log after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} not within {timeout}s:\n{log.read_text()}")
        time.sleep(0.05)
    return time.monotonic() - start


def count(client: redis.Redis, schedule: str) -> int:
    return sum(name == schedule for name, _ in sends(client))


def holder_pid(client: redis.Redis) -> int | None:
    value = client.get("poli:beat:lock")
    return json.loads(value)["pid"] if value else None


def polictl(config_dir: Path, redis_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [Path(sys.executable).with_name("polictl"), "-C", str(config_dir), *args]
    env = {**os.environ, "POLI_BROKER_URL": redis_url, "POLI_DATA_DIR": str(config_dir / "var")}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def kill_9(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_two_beats_send_each_run_once_and_a_standby_takes_over(config_dir, redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log", tmp_path / "beat-a2.log"]
    with ExitStack() as stack:
        beats = {
            name: stack.enter_context(celery_beat(config_dir, redis_url, tmp_path, log))
            for name, log in zip("ab", logs[:2], strict=True)
        }
        wait_for(lambda: len(sends(client)) >= 1, 30, "a first send", logs[0])
        first = len(sends(client))
        wait_for(lambda: len(sends(client)) >= first + WINDOW, 2 * WINDOW, "a window", logs[0])
        dues = [datetime.fromisoformat(due) for _, due in sends(client)]
        steps = [(b - a).total_seconds() for a, b in zip(dues, dues[1:], strict=False)]
        # each second sent once, by one beat: never twice (a step of 0), never a stall; a beat
        # over 1 s late on a busy machine collapses one run into the next (catchup: once)
        assert set(steps) <= {1.0, 2.0} and steps.count(2.0) <= 1, sends(client)

        active = holder_pid(client)
        victim = next(name for name, p in beats.items() if p.pid == active)
        survivor = beats["b" if victim == "a" else "a"]
        before = len(sends(client))
        kill_9(beats[victim])
        killed_at = datetime.now(UTC)
        took = wait_for(lambda: len(sends(client)) > before, 10, "a send after kill -9", logs[1])
        print(f"takeover: first send {took:.2f}s after kill -9 (bound {BOUND:g}s)")
        assert took <= BOUND + 0.5
        assert holder_pid(client) == survivor.pid

        back = stack.enter_context(celery_beat(config_dir, redis_url, tmp_path, logs[2]))
        wait_for(lambda: "beat: Starting" in logs[2].read_text(), 30, "restart", logs[2])
        sent = len(sends(client))

        def took_over_or_stood_by() -> bool:  # through 3 takeover bounds of sends
            return holder_pid(client) != survivor.pid or len(sends(client)) >= sent + 3 * BOUND

        wait_for(took_over_or_stood_by, 10 * BOUND, "three bounds of sends", logs[2])
        assert back.poll() is None and holder_pid(client) == survivor.pid  # it stands by
        assert "beat: active" not in logs[2].read_text()

    runs = sends(client)
    assert [run for run, n in Counter(runs).items() if n > 1] == []  # no (name, due) twice
    after_kill = [due for name, due in runs if datetime.fromisoformat(due) > killed_at]
    assert after_kill, runs[-5:]


def test_an_edit_reaches_the_running_beat_within_5_seconds(config_dir, redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    log = tmp_path / "beat.log"
    schedules = config_dir / "schedules.yaml"
    original = schedules.read_text()
    with celery_beat(config_dir, redis_url, tmp_path, log) as beat:
        wait_for(lambda: sends(client), 30, "a first tick", log)
        shown = polictl(config_dir, redis_url, "schedules").stdout
        assert f"beat: active on {socket.gethostname()} pid {beat.pid} since" in shown
        assert "beat: the files on disk match it" in shown
        assert "  last: " in shown

        edited = original.replace(
            "  tick:", "  tock: {task: system.echo, every: 1s, args: [tock]}\n  tick:"
        )
        edited = edited.replace(
            "every: 1s, args: [tick]", "every: 1s, enabled: false, args: [tick]"
        )
        schedules.write_text(edited)
        took = wait_for(lambda: any(n == "tock" for n, _ in sends(client)), 10, "tock", log)
        print(f"reload: the new schedule sent {took:.2f}s after the edit")
        assert took <= 5
        ticks = count(client, "tick")
        tocks = count(client, "tock")
        wait_for(lambda: count(client, "tock") >= tocks + 2, 10, "two more tocks", log)
        assert count(client, "tick") == ticks  # disabled: it stopped

        schedules.write_text(edited.replace("task: system.echo, every: 1s, args: [tock]",
                                            "task: system.nope, every: 1s, args: [tock]"))  # fmt: skip
        wait_for(lambda: "unknown task 'system.nope'" in log.read_text(), 10, "diagnostic", log)
        tocks = count(client, "tock")
        wait_for(lambda: count(client, "tock") >= tocks + 2, 10, "the old tock", log)  # runs on
        validate = polictl(config_dir, redis_url, "validate")
        diagnostics = [line for line in validate.stdout.splitlines() if ": error: " in line]
        assert diagnostics and all(line in log.read_text() for line in diagnostics)
        other = shutil.copytree(config_dir, tmp_path / "other-host")  # files beat did not load
        (other / "schedules.yaml").write_text(edited.replace("args: [tock]", "args: [tack]"))
        assert "beat: the files on disk differ" in polictl(other, redis_url, "schedules").stdout

        schedules.write_text(original)  # tock removed, tick enabled again (the test's clock)
        wait_for(lambda: "removed ['tock']" in log.read_text(), 5, "the removal", log)
        tocks, ticks = count(client, "tock"), count(client, "tick")
        wait_for(lambda: count(client, "tick") >= ticks + 2, 10, "two more ticks", log)
        assert count(client, "tock") == tocks


def test_beat_takes_its_lock_in_the_embedded_broker(config_dir, tmp_path, monkeypatch):
    from engine.runtime import embedded

    monkeypatch.setenv(embedded.DATA_DIR_ENV, str(tmp_path / "data"))
    server = subprocess.Popen(embedded_command(config_dir), stdout=subprocess.DEVNULL)
    try:
        url = embedded.broker_url(config_dir)
        if url.startswith("redis+socket://"):
            client = redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"))
        else:
            client = redis.Redis.from_url(url)
        log = tmp_path / "beat.log"
        wait_for(lambda: _answers(client), 10, "the embedded redis", log)
        env = {embedded.DATA_DIR_ENV: str(tmp_path / "data")}
        with celery_beat(config_dir, "embedded", tmp_path, log, **env) as beat:
            wait_for(lambda: len(sends(client)) >= 2, 30, "two sends", log)
            assert holder_pid(client) == beat.pid
    finally:
        server.terminate()
        server.wait(10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
