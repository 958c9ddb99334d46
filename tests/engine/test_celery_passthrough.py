"""queues.yaml `celery:` and a worker group's `options:`: Celery's own settings and worker
flags that poli does not model, checked against Celery's tables (shipped as data), on the
app, in the rendered command lines, and in `polictl config` with their origin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.config import load
from engine.config.check import celery_passthrough
from engine.runtime.app import celery_tables
from engine.runtime.app.build import build_app, celery_settings
from generators.common import worker_args
from polictl.main import cli

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"
QUEUES = """broker: {url: "redis://127.0.0.1:1/0"}
celery:
  broker_heartbeat: 10
  broker_pool_limit: 20
  worker_hijack_root_logger: false
queues:
  default: {}
  system: {}
routes:
  - {match: "system.*", queue: system}
workers:
  main:
    queues: [default, system]
    options: {without-heartbeat: true, without-mingle: false, heartbeat-interval: 10}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = shutil.copytree(BASE, tmp_path / "config")
    (target / "queues.yaml").write_text(QUEUES)
    return target


def test_the_shipped_tables_are_the_installed_celerys() -> None:
    assert celery_passthrough.TABLES.read_text() == celery_tables.text(), (
        "Celery changed: run `python -m engine.runtime.app.celery_tables` and review the diff"
    )


def test_every_setting_poli_owns_is_one_celery_has_and_one_poli_sets(config) -> None:
    settings, worker = celery_passthrough.tables()
    assert set(celery_passthrough.OWNED_SETTINGS) <= set(settings)
    assert set(celery_passthrough.OWNED_FLAGS) <= set(worker)
    platform = load(config).platform
    assert platform is not None
    poli_sets = set(celery_settings(platform)) - {"broker_heartbeat", "broker_pool_limit"}
    assert poli_sets - {"worker_hijack_root_logger"} <= set(celery_passthrough.OWNED_SETTINGS)


def test_the_settings_reach_the_app_and_the_flags_the_command_line(config) -> None:
    result = load(config)
    assert result.diagnostics == []
    app = build_app(result.platform)
    assert (app.conf.broker_heartbeat, app.conf.broker_pool_limit) == (10, 20)
    assert app.conf.worker_hijack_root_logger is False
    (group,) = result.platform.workers
    args = worker_args(group, "main-1@host")
    assert args[-4:] == ["--heartbeat-interval=10", "--without-heartbeat", "--loglevel", "info"]
    assert "--without-mingle" not in args
    app.close()


def test_polictl_config_shows_where_each_came_from(config) -> None:
    result = CliRunner().invoke(cli, ["-C", str(config), "config"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "heartbeat" in line]
    assert [" ".join(line.split()) for line in lines] == [
        "celery.broker_heartbeat = 10 # queues.yaml:3",
        "workers.main.options.without-heartbeat = true # queues.yaml:14",
        "workers.main.options.heartbeat-interval = 10 # queues.yaml:14",
    ]
