"""User mistakes: a message and a hint, a non-zero exit, never a traceback (no stack needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis_server import embedded_command
from stack_helpers import Stack


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (
            ["run", "system.pnig"],
            "error: task 'system.pnig' is not declared in tasks.yaml",
            "hint: did you mean 'system.ping'?",
        ),
        (
            ["up", "defualt"],
            "error: unknown worker group or program 'defualt'",
            "hint: did you mean 'default'?",
        ),
        (["logs", "bat"], "error: unknown log 'bat'", "hint: did you mean 'beat'?"),
        (
            ["purge", "alert"],
            "error: unknown queue 'alert'",
            "hint: did you mean 'alerts'?",
        ),
        (["restart"], "error: the stack is not running", "hint: polictl up"),
    ],
)
def test_mistake_is_a_message_not_a_traceback(
    stack: Stack, args: list[str], message: str, hint: str | None
) -> None:
    result = stack.polictl(*args)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == message
    assert lines[1:] == ([f"  {hint}"] if hint else [])


def test_purge_asks_first(stack: Stack) -> None:
    result = stack.polictl("purge", "default", input="n\n")
    assert result.returncode == 1
    assert "Delete every message waiting in 'default'?" in result.stdout
    assert "Aborted!" in result.stderr


def test_status_of_a_stack_not_running_fails(stack: Stack) -> None:
    result = stack.polictl("status")
    assert result.returncode == 1
    assert "problem: the stack is not running (polictl up)" in result.stdout
    assert "next run" in result.stdout.lower()


def test_embedded_broker_falls_back_to_loopback_when_socket_path_is_too_long(
    tmp_path, monkeypatch
) -> None:
    import subprocess

    import redis

    from engine.runtime import embedded

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("POLI_DATA_DIR", str(deep))
    assert not embedded.uses_socket(tmp_path)
    server = subprocess.Popen(embedded_command(tmp_path), stdout=subprocess.DEVNULL)
    try:
        url = embedded.broker_url(tmp_path)
        port = (deep / "redis" / "port").read_text().strip()
        password = embedded.loopback_password(tmp_path)
        assert len(password) == 48 and url == f"redis://:{password}@127.0.0.1:{port}/0"
        assert (deep / "redis" / "auth.conf").stat().st_mode & 0o777 == 0o600
        assert password not in Path(f"/proc/{server.pid}/cmdline").read_text()  # never argv
        client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
        for _ in range(50):
            try:
                assert client.ping()
                break
            except redis.ConnectionError:
                server.poll()
                assert server.returncode is None
                import time

                time.sleep(0.1)
        else:
            raise AssertionError("embedded redis did not answer on its loopback port")
        assert (deep / "redis").is_dir()
        anyone = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
        with pytest.raises(redis.AuthenticationError):  # a local user without the password
            anyone.config_set("dir", "/tmp")
    finally:
        server.terminate()
        server.wait(10)


def test_logs_of_a_group_with_replicas_names_each_replicas_file(stack: Stack) -> None:
    queues = stack.config_dir / "queues.yaml"
    queues.write_text(
        queues.read_text().replace("concurrency: 1", "concurrency: 1, replicas: 2", 1)
    )
    result = stack.polictl("logs", "default")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: 'default' runs 2 replicas, each with its own log",
        "  hint: name one: worker_default_01, worker_default_02",
    ]
    logs = stack.data_dir / "logs"
    logs.mkdir(parents=True)
    (logs / "celery_worker_default_02.log").write_text("ready on replica two\n")
    shown = stack.polictl("logs", "worker_default_02")
    assert shown.returncode == 0 and shown.stdout == "ready on replica two\n"


def test_a_project_path_with_a_control_character_is_refused_before_anything_starts(
    tmp_path, monkeypatch
) -> None:
    import shutil

    from click.testing import CliRunner

    from polictl.main import cli

    monkeypatch.delenv("POLI_DATA_DIR", raising=False)
    config = shutil.copytree(
        Path(__file__).resolve().parent.parent / "configs" / "base", tmp_path / "a\nb"
    )
    result = CliRunner().invoke(cli, ["-C", str(config), "up", "--detach"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: the local stack cannot run from a path with control characters: {str(config)!r}\n"
        "  hint: move the project (or POLI_DATA_DIR) to a plain directory name\n"
    )
    assert not (config / "var" / "supervisor").exists()
