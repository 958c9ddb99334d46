"""What poli turns on by default costs nothing undeclared: no task events, no sent events,
no STARTED writes; each comes back where it is declared."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.config import load
from engine.runtime.app.build import build_app

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"
ENV = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}


def app_for(tmp_path: Path, queues_extra: str = "", tasks_text: str | None = None):
    config = tmp_path / "config"
    shutil.copytree(BASE, config)
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text() + queues_extra)
    if tasks_text is not None:
        (config / "tasks.yaml").write_text(tasks_text)
    result = load(config, env=ENV)
    assert result.platform is not None, result.diagnostics
    return build_app(result.platform)


def test_defaults_publish_nothing_per_task_but_the_task(tmp_path):
    app = app_for(tmp_path)
    assert app.conf.worker_send_task_events is False
    assert app.conf.task_send_sent_event is False
    assert app.conf.worker_disable_rate_limits is True
    assert app.tasks["system.echo"].track_started is False
    assert app.tasks["system.echo"].acks_late is True


def test_declared_monitoring_is_on(tmp_path):
    tasks = (
        "defaults: {track_started: true}\n"
        "tasks:\n"
        '  system.tracked: {handler: "basehandlers:echo", rate_limit: 10/s}\n'
        '  default.untracked: {handler: "basehandlers:echo", track_started: false}\n'
        '  system.echo: {handler: "basehandlers:echo"}\n'
    )  # names of their own: Celery shares a task across the apps of one process
    app = app_for(tmp_path, "deploy: {flower: {sent_events: true}}\n", tasks)
    assert app.conf.task_send_sent_event is True
    assert app.conf.worker_disable_rate_limits is False
    assert app.tasks["system.tracked"].track_started is True
    assert app.tasks["default.untracked"].track_started is False


def test_sent_events_need_flower(tmp_path):
    app = app_for(tmp_path, "deploy: {flower: {enabled: false, sent_events: true}}\n")
    assert app.conf.task_send_sent_event is False
