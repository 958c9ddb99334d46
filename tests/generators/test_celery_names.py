"""Task and schedule names as Celery allows them (module paths, sentences, punctuation) never
reach a generated file as anything but a comment or the config files carried as data: unit,
program, service and Kubernetes names come from queues, worker groups and hosts only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from engine.config import load
from generators.formats import RENDERERS

BASE = Path(__file__).resolve().parents[1] / "configs" / "base"
# A real project's module-path task name: 86 characters.
LONG = "pollination.tasks.integrations.greenhouse_sensors.sync_all_readings_for_site_installed"
ODD = "reports: nightly %h #1 'quoted' {{not a template}} $HOME `x`"
TASKS = f"""tasks:
  system.echo: {{handler: "basehandlers:echo"}}
  default.echo: {{handler: "basehandlers:echo"}}
  {LONG}: {{handler: "basehandlers:echo", queue: system, time_limit: 1h}}
  "{ODD}": {{handler: "basehandlers:echo", queue: default, time_limit: 2h}}
"""
SCHEDULES = f"""timezone: UTC
schedules:
  10 sec queue probe: {{task: system.echo, every: 10s}}
  "{ODD}": {{task: "{ODD}", cron: "0 3 * * *"}}
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    config = tmp_path_factory.mktemp("names") / "config"
    shutil.copytree(BASE, config)
    (config / "tasks.yaml").write_text(TASKS)
    (config / "schedules.yaml").write_text(SCHEDULES)
    result = load(config)
    assert result.diagnostics == []
    return result.platform


def test_celery_names_validate(platform) -> None:
    assert len(LONG) == 86
    assert {t.name for t in platform.tasks} >= {LONG, ODD}
    assert [s.name for s in platform.schedules] == ["10 sec queue probe", ODD]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_a_task_or_schedule_name_reaches_no_file_name_and_only_comment_lines(platform, fmt) -> None:
    files = RENDERERS[fmt](platform)
    for path, text in files.items():
        assert LONG not in path and ODD not in path and "probe" not in path
        if path.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))  # still parses
        for line in text.splitlines():
            for name in (LONG, ODD):
                if name in line and not _carried_as_data(fmt, line):
                    assert line.lstrip().startswith(("#", ";")), (path, line)


def _carried_as_data(fmt: str, line: str) -> bool:
    """Kubernetes's ConfigMap carries the config files themselves (block scalars)."""
    return fmt == "kubernetes" and line.startswith("    ")


def test_the_longest_tasks_name_is_quoted_in_the_stop_timeout_comment(platform) -> None:
    files = RENDERERS["systemd"](platform)
    notes = [line for text in files.values() for line in text.splitlines() if ODD in line]
    assert notes == [f"# longest time_limit routed here: {ODD} 7200s + 30s margin"]
