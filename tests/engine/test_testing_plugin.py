"""engine.testing as a user's project uses it: `pytest_plugins = ["engine.testing"]` in their
conftest, their YAML beside it, their tests on a real in-process worker and broker."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"

USER_TESTS = """
import pytest
from engine.inputs import InvalidTaskInput


def test_a_task_goes_through_its_queue_to_the_worker(poli_app, poli_worker):
    result = poli_app.tasks["reports.echo"].delay("hello")
    assert result.get(timeout=30)["value"] == "hello"
    assert result.get(timeout=30)["queue"] == "reports"  # routed, not run in place


def test_retries_run_on_the_worker_after_their_countdown(poli_app, poli_worker, tmp_path):
    marker = tmp_path / "marker"
    assert poli_app.send_task("system.flaky", args=[str(marker)]).get(timeout=30) == 3


def test_bad_inputs_never_reach_the_broker(poli_app, poli_worker):
    with pytest.raises(InvalidTaskInput, match="seconds: input should be a valid number"):
        poli_app.tasks["system.sleep"].delay("1")
"""


def test_a_users_tests_run_tasks_on_a_real_worker(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(MINIMAL, project)
    (project / "conftest.py").write_text('pytest_plugins = ["engine.testing"]\n')
    (project / "test_tasks.py").write_text(USER_TESTS)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "3 passed" in ran.stdout
