"""`polictl config`: the effective configuration, each value with where it came from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from polictl.main import cli

CASE = Path(__file__).resolve().parent.parent / "configs" / "provenance"
ENV = {
    "POLI_BROKER_URL": "redis://poli:s3cret@broker.example:6379/0",
    "POLI_RESULT_EXPIRES": "2h",
    "POLI_RESULT_BACKEND": None,  # unset: the ${...:-none} default holds
}


def polictl(*args: str, **env: str | None):
    return CliRunner().invoke(cli, ["-C", str(CASE), *args], env={**ENV, **env})


def test_text_names_file_line_overlay_variable_and_schema_default():
    result = polictl("-e", "production", "config")
    assert result.exit_code == 0, result.output
    assert result.output == (CASE / "expected.txt").read_text()  # `make golden` writes it
    assert "s3cret" not in result.output


def test_json_gives_each_value_its_source():
    result = polictl("-e", "production", "config", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {(r["file"], r["key"]): r for r in json.loads(result.output)}
    assert rows["queues.yaml", "broker.url"] == {
        "file": "queues.yaml",
        "key": "broker.url",
        "value": "redis://poli:***@broker.example:6379/0",
        "source": "queues.yaml:2",
        "env": ["POLI_BROKER_URL"],
        "unset": [],
    }
    expires = rows["queues.yaml", "broker.result_expires"]
    assert (expires["value"], expires["source"], expires["env"]) == (
        "2h",
        "queues.production.yaml:2",
        ["POLI_RESULT_EXPIRES"],
    )
    backend = rows["queues.yaml", "broker.result_backend"]
    assert (backend["value"], backend["unset"]) == ("none", ["POLI_RESULT_BACKEND"])
    concurrency = rows["queues.yaml", "workers.default.concurrency"]
    assert (concurrency["value"], concurrency["source"]) == (4, "queues.production.yaml:4")
    inherited = rows["tasks.yaml", "tasks.default.echo.time_limit"]
    assert (inherited["value"], inherited["source"]) == ("1m", "tasks.yaml:1 (defaults)")
    pool = rows["queues.yaml", "workers.default.pool"]
    assert (pool["value"], pool["source"]) == ("prefork", "schema default")


def test_without_the_overlay_the_base_file_speaks_and_a_set_variable_is_named():
    backend = "redis://:hunter2@results.example:6379/1"
    result = polictl("config", "--format", "json", POLI_RESULT_BACKEND=backend)
    rows = {(r["file"], r["key"]): r for r in json.loads(result.output)}
    assert rows["queues.yaml", "workers.default.concurrency"]["source"] == "queues.yaml:8"
    assert rows["queues.yaml", "broker.result_backend"]["value"] == (
        "redis://:***@results.example:6379/1"
    )
    assert rows["queues.yaml", "broker.result_backend"]["env"] == ["POLI_RESULT_BACKEND"]
    assert rows["queues.yaml", "broker.result_expires"]["source"] == "schema default"
    assert "hunter2" not in result.output


def test_an_invalid_config_prints_its_diagnostics_and_exits_1():
    result = polictl("-e", "production", "config", POLI_RESULT_EXPIRES="soon")
    assert result.exit_code == 1
    assert result.output == (
        "queues.production.yaml:2:19: error: invalid duration 'soon': use seconds (90) or a "
        "string like 90s, 5m, 1h30m\n1 error, 0 warnings\n"
    )


def test_config_does_not_import_celery():
    code = (
        "import sys\nfrom polictl.main import cli\n"
        f"try: cli(['-C', {str(CASE)!r}, 'config'])\nexcept SystemExit: pass\n"
        "print('celery' in sys.modules)"
    )
    env = {**os.environ, **{k: v for k, v in ENV.items() if v is not None}}
    env.pop("POLI_RESULT_BACKEND", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert "broker.url = redis://poli:***@broker.example" in out.stdout, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr
