"""One error flow: a user's mistake is a UserError raised where it is found, printed once
where the process starts (polictl's main, engine.app), never a traceback."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from polictl.main import cli

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
CONFIGS = TESTS / "configs"


def bad_config(tmp_path: Path) -> Path:
    target = shutil.copytree(CONFIGS / "base", tmp_path / "config")
    shutil.copy(CONFIGS / "bad" / "unknown-key" / "schedules.yaml", target / "schedules.yaml")
    return target


def celery(config_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "POLI_CONFIG_DIR": str(config_dir), **env}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "celery", "-A", "engine.app", *args],
        cwd=config_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_on_an_invalid_config_prints_the_diagnostics_once(tmp_path):
    config_dir = bad_config(tmp_path)
    expected = (CONFIGS / "bad" / "unknown-key" / "expected.txt").read_text()
    result = CliRunner().invoke(cli, ["-C", str(config_dir), "schedules"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected)


def test_commands_return_exit_codes_instead_of_raising_systemexit():
    for path in sorted((ROOT / "polictl").rglob("*.py")):
        names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
        assert "SystemExit" not in names, path.relative_to(ROOT)


def test_an_invalid_config_under_celery_is_its_diagnostics_and_exit_1(tmp_path):
    config_dir = bad_config(tmp_path)
    expected = (CONFIGS / "bad" / "unknown-key" / "expected.txt").read_text()
    done = celery(config_dir, "worker")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", expected)


def test_an_embedded_broker_that_is_not_running_is_a_message_under_celery(tmp_path):
    """The data dir is so deep that the broker would listen on a loopback port recorded in a
    file; nothing started it, so there is no such file."""
    config_dir = shutil.copytree(CONFIGS / "minimal", tmp_path / "config")
    data_dir = tmp_path / ("d" * 100)
    done = celery(config_dir, "worker", POLI_BROKER_URL="embedded", POLI_DATA_DIR=str(data_dir))
    port_file = data_dir / "redis" / "port"
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: the embedded broker has no port recorded in {port_file}\n"
        "  hint: start the stack with `polictl up`\n"
    )
