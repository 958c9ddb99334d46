"""`polictl validate` and `polictl schedules` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from polictl.main import cli

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
ROOT = CONFIGS.parent.parent


def polictl(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_json_format_lists_every_problem_with_position():
    result = polictl("-C", str(CONFIGS / "bad" / "many-problems"), "validate", "--format", "json")
    # the case dir alone lacks queues.yaml and tasks.yaml: those are problems too
    problems = json.loads(result.output)
    assert result.exit_code == 1
    assert {"file", "line", "column", "severity", "code", "message"} <= set(problems[0])
    assert ("queues.yaml", "missing-file") in {(p["file"], p["code"]) for p in problems}


def test_usage_error_exits_2():
    result = polictl("validate", "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output


def test_missing_config_dir_is_a_diagnostic(tmp_path):
    result = polictl("-C", str(tmp_path), "validate")
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[0]
        == f"queues.yaml:1:1: error: queues.yaml not found in {tmp_path}"
    )


def test_interpolation_and_defaults(tmp_path):
    (tmp_path / "queues.yaml").write_text(
        "broker: {url: '${BROKER:-redis://127.0.0.1:1/0}'}\n"
        "queues: {default: {}, system: {}}\n"
        "routes: [{match: 'system.*', queue: system}]\n"
        "workers:\n  main:\n    queues: [default, system]\n    concurrency: ${WORKERS:-3}\n"
    )
    for name in ("tasks.yaml", "schedules.yaml", "basehandlers.py"):
        (tmp_path / name).write_text((CONFIGS / "base" / name).read_text())
    from engine.config import load

    platform = load(tmp_path, env={}).platform
    assert platform.broker.url == "redis://127.0.0.1:1/0"
    assert platform.workers[0].concurrency == 3  # an int, not the text "3"
    platform = load(tmp_path, env={"BROKER": "redis://h:6379/2", "WORKERS": "8"}).platform
    assert (platform.broker.url, platform.workers[0].concurrency) == ("redis://h:6379/2", 8)


def test_environment_overlay_merges_and_reports_its_own_positions(tmp_path):
    for name in ("queues.yaml", "tasks.yaml", "schedules.yaml", "basehandlers.py"):
        (tmp_path / name).write_text((CONFIGS / "base" / name).read_text())
    (tmp_path / "queues.production.yaml").write_text("workers:\n  main: {concurrency: 16}\n")
    (tmp_path / "schedules.production.yaml").write_text("schedules:\n  tick: {every: 0}\n")
    result = polictl("-C", str(tmp_path), "-e", "production", "validate")
    assert result.output.splitlines()[0] == (
        "schedules.production.yaml:2:17: error: schedule 'tick': `every` must be longer than zero"
    )
    (tmp_path / "schedules.production.yaml").write_text("schedules:\n  tick: {every: 5m}\n")
    from engine.config import load

    platform = load(tmp_path, "production").platform
    assert platform.workers[0].concurrency == 16
    assert platform.workers[0].queues == ("default", "system")  # kept from the base
    assert platform.schedules[0].every == 300
    assert polictl("-C", str(tmp_path), "-e", "staging", "validate").exit_code == 1


def test_validate_does_not_import_celery():
    code = (
        "import sys; from polictl.main import main; sys.argv = ['polictl', 'validate'];\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print('CELERY' if any(m == 'celery' or m.startswith('celery.') for m in sys.modules) else 'CLEAN')"
    )
    env = {**os.environ, "POLI_BROKER_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=CONFIGS / "minimal",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip().splitlines()[-1] == "CLEAN", out.stdout + out.stderr


def test_schedules_json_lists_next_runs_in_the_schedules_zone():
    result = polictl(
        "-C",
        str(CONFIGS / "minimal"),
        "schedules",
        "--format",
        "json",
        "--next",
        "2",
        env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"},
    )
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    nightly = rows["nightly"]
    assert (nightly["task"], nightly["queue"], nightly["enabled"]) == (
        "alerts.echo",
        "alerts",
        True,
    )
    first, second = (datetime.fromisoformat(t) for t in nightly["next"])
    assert (first.hour, first.minute, first.weekday()) == (2, 0, 6)  # Sunday 02:00 Madrid time
    assert first.utcoffset().total_seconds() in (3600, 7200)
    assert (second - first).days == 7
    assert rows["tick"]["description"] == "every 1s"


def test_repository_config_is_valid():
    result = polictl("-C", str(ROOT), "validate")
    assert result.exit_code == 0, result.output


def test_every_command_in_the_help_exists_and_help_imports_none_of_them():
    from polictl.main import LAZY_COMMANDS

    code = (
        "import sys; from polictl.main import cli\n"
        "try: cli(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('polictl.stack', 'generators', 'celery'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    for name in LAZY_COMMANDS:
        command = cli.get_command(None, name)
        assert command is not None and command.name == name
        assert name in out.stdout
