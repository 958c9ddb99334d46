"""Celery's own environment variables, one by one: `validate` names each one set, at the
queues.yaml key it competes with, and a worker drops the ones `celery worker|beat` would read
as options. In-process (`make mutation` mutates engine/config/check/celery_env.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.runtime.app.yaml_only import strip_cli_options
from polictl.main import cli

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
BROKER_ENV = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}

BROKER = (
    "queues.yaml:2:8",
    "the broker is broker.url in queues.yaml",
    "unset it; choose the broker with POLI_BROKER_URL or an overlay",
)
BACKEND = (
    "queues.yaml:3:19",
    "the result backend is broker.result_backend in queues.yaml",
    "unset it; choose the result backend with POLI_RESULT_BACKEND or an overlay",
)
SETTINGS = (
    "queues.yaml:1:1",
    "Celery's settings come from queues.yaml, tasks.yaml and schedules.yaml only",
    "unset it; poli reads its settings from the YAML files only",
)
WORKER = (
    "queues.yaml:1:1",
    "worker options come from the worker groups in queues.yaml",
    "unset it; poli reads its settings from the YAML files only",
)
BEAT = (
    "queues.yaml:1:1",
    "beat options come from the command line poli renders for beat",
    "unset it; poli reads its settings from the YAML files only",
)
# every variable Celery reads (celery/app/utils.py, celery/app/base.py, celery/bin/celery.py)
VARIABLES = {
    "CELERY_BROKER_URL": BROKER,
    "CELERY_BROKER_READ_URL": BROKER,
    "CELERY_BROKER_WRITE_URL": BROKER,
    "BROKER_URL": BROKER,
    "CELERY_RESULT_BACKEND": BACKEND,
    "RESULT_BACKEND": BACKEND,
    "CELERY_CONFIG_MODULE": SETTINGS,
    "CONFIG_MODULE": SETTINGS,
    "CELERY_LOADER": SETTINGS,
    "LOADER": SETTINGS,
    "CELERY_WORKER_CONCURRENCY": WORKER,
    "CELERY_BEAT_MAX_INTERVAL": BEAT,
}


def validate(env: dict[str, str]):
    return CliRunner().invoke(cli, ["-C", str(MINIMAL), "validate"], env={**BROKER_ENV, **env})


@pytest.mark.parametrize("name", list(VARIABLES))
def test_each_celery_variable_is_named_where_it_competes(name):
    where, reason, hint = VARIABLES[name]
    result = validate({name: "x"})
    assert (result.exit_code, result.output) == (
        0,
        f"{where}: warning: {name} is set and ignored: {reason}\n"
        f"  hint: {hint}\n"
        "0 errors, 1 warning\n",
    )


def test_variables_that_only_look_like_celery_s_are_not_named():
    """Celery reads none of these: a prefix without its underscore, a suffix, another case."""
    env = {"CELERY_WORKER": "x", "CELERY_BEATX": "x", "MY_BROKER_URL": "x", "celery_loader": "x"}
    result = validate(env)
    assert (result.exit_code, result.output) == (0, "config is valid\n")


def test_strip_cli_options_removes_only_worker_and_beat_options():
    environ = {
        "CELERY_WORKER_CONCURRENCY": "8",
        "CELERY_BEAT_PIDFILE": "/tmp/beat.pid",
        "CELERY_BROKER_URL": "redis://elsewhere:6379/0",  # named by validate, not an option
        "CELERY_WORKERS": "2",  # not the CELERY_WORKER_ prefix
        "PATH": "/usr/bin",
    }
    removed = strip_cli_options(environ)
    assert removed == ["CELERY_WORKER_CONCURRENCY", "CELERY_BEAT_PIDFILE"]
    assert environ == {
        "CELERY_BROKER_URL": "redis://elsewhere:6379/0",
        "CELERY_WORKERS": "2",
        "PATH": "/usr/bin",
    }
