"""The local stack's Flower asks for the operator login (real Flower under supervisord):
401 without it, on every page and on /metrics; 200 with the password `polictl up`
generated, kept in the data dir (0600) and named in its output. No file under the data
dir is readable by other users."""

from __future__ import annotations

import stat
from pathlib import Path

from stack_helpers import Stack
from waiting import http_status as status
from waiting import wait_for


def flower_url(stack: Stack) -> str:
    text = (stack.config_dir / "queues.yaml").read_text()
    port = next(line for line in text.splitlines() if "flower:" in line)
    return f"http://127.0.0.1:{port.split('port: ')[1].rstrip('}')}"


def test_flower_answers_only_the_operator(stack: Stack) -> None:
    started = stack.polictl("up", "--detach", "flower", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    password_file = stack.data_dir / "web-password"
    assert f"login admin, password in {password_file.resolve()}" in started.stdout
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    login = ("admin", password_file.read_text().strip())
    url = flower_url(stack)
    assert wait_for(lambda: status(f"{url}/healthcheck") == 200, 60, interval=0.5)
    for page in ("/", "/workers", "/api/workers", "/metrics"):
        assert status(url + page) == 401, page
        assert status(url + page, ("admin", "wrong")) == 401, page
    assert status(url + "/", login) == 200
    assert status(url + "/metrics", login) == 200

    stack.polictl("down", timeout=120)
    assert stat.S_IMODE(stack.data_dir.stat().st_mode) == 0o700
    readable = [
        f"{oct(stat.S_IMODE(path.stat().st_mode))} {path}"
        for path in Path(stack.data_dir).rglob("*")
        if not path.is_symlink() and path.stat().st_mode & 0o007
    ]
    assert readable == [], "\n".join(readable)


def test_the_password_may_come_from_the_environment(stack: Stack) -> None:
    stack.env |= {"POLI_WEB_USER": "operator", "POLI_WEB_PASSWORD": "correct horse"}
    started = stack.polictl("up", "--detach", "flower", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    assert "login operator, password in $POLI_WEB_PASSWORD" in started.stdout
    assert not (stack.data_dir / "web-password").exists()
    url = flower_url(stack)
    assert wait_for(lambda: status(f"{url}/healthcheck") == 200, 60, interval=0.5)
    assert status(url + "/", ("admin", "correct horse")) == 401
    assert status(url + "/", ("operator", "correct horse")) == 200


def test_flower_does_not_start_without_a_password(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLI_", "FLOWER_"))}
    command = [sys.executable, "-m", "celery", "-A", "polictl.flower_app", "flower"]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: POLI_WEB_PASSWORD is not set: Flower does not run without a login\n"
        "  hint: set it in the environment file or the Secret (`polictl up` generates one)\n"
    )
