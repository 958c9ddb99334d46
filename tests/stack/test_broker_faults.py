"""Every polictl command that needs the broker, with the broker down, refusing the password,
or naming a db that does not exist: one line (and a hint), the broker masked, no traceback,
within a few seconds."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from celery_process import celery_env
from reliability_process import CONFIG

from engine.runtime.embedded import free_port

PASSWORD = "S3cretPW"
COMMANDS = [
    ["run", "default.work", "--args", '["x"]'],
    ["run", "default.work", "--args", '["x"]', "--wait", "--timeout", "5"],
    ["purge", "default", "--yes"],
    ["ping", "--timeout", "2"],
    ["dead", "list"],
    ["dead", "show", "abc"],
    ["dead", "replay", "--all"],
    ["dead", "purge", "--yes"],
]


@pytest.fixture(scope="module")
def faults(redis_server) -> dict[str, tuple[str, str]]:
    """Broker URL -> the reason polictl must give, for each kind of fault."""
    port = redis_server.port
    return {
        "down": (f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", "Connection refused"),
        "wrong password": (f"redis://:{PASSWORD}@127.0.0.1:{port}/0", "AUTH"),
        "bad db": (f"redis://127.0.0.1:{port}/99", "DB index is out of range"),
    }


def polictl(url: str, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(CONFIG), *args],
        env=celery_env(CONFIG, url, POLI_RESULT_BACKEND=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out, time.monotonic() - started


CASES = [("down", command) for command in COMMANDS] + [
    (fault, command)
    for fault in ("wrong password", "bad db")
    for command in (COMMANDS[0], COMMANDS[4])  # every command shares the check: two of them
]


@pytest.mark.parametrize(
    ("fault", "command"), CASES, ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_a_broker_fault_is_one_masked_line(faults, fault: str, command: list[str]) -> None:
    url, reason = faults[fault]
    out, took = polictl(url, *command)
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr and PASSWORD not in out.stderr + out.stdout
    first, hint = out.stderr.splitlines()
    masked = url.replace(PASSWORD, "***")
    assert first.startswith(f"error: broker {masked} unreachable: "), out.stderr
    assert reason in first
    assert hint == "  hint: polictl status; polictl up"
    assert took < 10


def test_status_names_the_fault_masked(faults) -> None:
    url, reason = faults["down"]
    out, took = polictl(url, "status")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and PASSWORD not in out.stdout + out.stderr
    assert f"Broker  {url.replace(PASSWORD, '***')}  " in out.stdout
    assert reason in out.stdout
    assert took < 10


def test_run_checks_its_timeout_before_sending(redis_url) -> None:
    import redis

    out, _ = polictl(redis_url, "run", "default.work", "--wait", "--timeout", "0")
    assert out.returncode == 2
    assert "Invalid value for '--timeout': 0.0 is not in the range x>0." in out.stderr
    assert redis.Redis.from_url(redis_url).llen("default") == 0  # nothing sent
