"""poli in someone else's project: the wheel installed into a fresh virtualenv imports a
small Celery app, validates it, renders systemd, and its worker runs the task."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

APP = """\
import os

from celery import Celery

app = Celery("greeter", broker=os.environ.get("BROKER", "redis://localhost:6379/0"))
app.conf.task_routes = {"greeter.*": {"queue": "greetings"}}
app.conf.beat_schedule = {"hello": {"task": "greeter.hello", "schedule": 3600.0, "args": ["beat"]}}


@app.task(name="greeter.hello", shared=False, time_limit=30, soft_time_limit=20)
def hello(name: str) -> str:
    return f"hello {name}"
"""


def run(bin_dir: Path, project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POLI_", "CELERY_", "PYTHONPATH", "VIRTUAL_ENV"))}  # fmt: skip
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", POLI_DATA_DIR=str(project / "var"), **extra
    )
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_wheel_moves_a_project_and_runs_its_task(
    poli_wheel_venv: Path, tmp_path: Path, redis_url: str
):
    bin_dir, project = poli_wheel_venv, tmp_path / "greeter"
    project.mkdir()
    (project / "greeter.py").write_text(APP)
    assert run(bin_dir, project, "python", "-c", "import handlers").returncode == 1  # not shipped
    assert "  db " not in run(bin_dir, project, "polictl", "--help").stdout

    imported = run(bin_dir, project, "polictl", "import", "greeter", BROKER=redis_url)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert (
        'greeter.hello: {handler: "greeter:hello", time_limit: 30s, soft_time_limit: 20s}'
        in (project / "tasks.yaml").read_text()
    )
    assert run(bin_dir, project, "polictl", "validate").returncode == 0
    check = run(bin_dir, project, "polictl", "import", "greeter", "--check", BROKER=redis_url)
    assert check.returncode == 0, check.stdout + check.stderr
    rendered = run(bin_dir, project, "polictl", "render", "systemd", "-o", "units")
    assert rendered.returncode == 0, rendered.stderr
    assert (project / "units" / "poli-worker-greetings@.service").is_file()

    urls = {"POLI_BROKER_URL": redis_url, "POLI_RESULT_BACKEND": redis_url}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POLI_", "CELERY_", "PYTHONPATH"))
    }
    env.update(POLI_CONFIG_DIR=str(project), POLI_DATA_DIR=str(project / "var"), **urls)
    worker = subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "engine.app", "worker", "-Q", "greetings", "--pool", "solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        sent = run(bin_dir, project, "polictl", "run", "greeter.hello", "--args", '["world"]',
                   "--wait", "--timeout", "60", **urls)  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert '"hello world"' in sent.stdout or "hello world" in sent.stdout
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait()
