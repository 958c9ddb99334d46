"""Which edits of a running deployment beat refuses (engine/runtime/beat/live_edit.py):
the config the processes started with against the edited files, each refusal compared whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.config import load
from engine.runtime.beat.live_edit import RESTART, refusals

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
ENV = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}  # never connected: the model only


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return shutil.copytree(MINIMAL, tmp_path / "config")


def edit(config_dir: Path, name: str, old: str, new: str) -> None:
    path = config_dir / name
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


def add_queue(config_dir: Path, name: str) -> None:
    """A new queue with a worker group of its own: what a running worker cannot consume."""
    edit(config_dir, "queues.yaml", "queues:\n", f"queues:\n  {name}: {{description: New}}\n")
    edit(config_dir, "queues.yaml", "workers:\n", f"workers:\n  {name}: {{queues: [{name}]}}\n")


def refused(config_dir: Path) -> list[str]:
    """What the processes started on MINIMAL would refuse of `config_dir` as it is now."""
    running = load(MINIMAL, env=ENV).platform
    edited = load(config_dir, env=ENV)
    assert running is not None and edited.platform is not None, edited.diagnostics
    return [d.format() for d in refusals(running, edited)]


def test_times_args_new_and_removed_schedules_of_known_tasks_and_queues_apply(config_dir):
    edit(config_dir, "schedules.yaml", "every: 1s, args: [tick]", "every: 5s, args: [tock]")
    edit(
        config_dir, "schedules.yaml", "  nightly:", "  more: {task: reports.echo, every: 1m}\n  x:"
    )
    edit(config_dir, "tasks.yaml", "time_limit: 20s", "time_limit: 30s")  # the workers' business
    assert refused(config_dir) == []


def test_a_schedule_on_a_new_queue_is_refused_where_it_names_the_queue(config_dir):
    add_queue(config_dir, "fresh")
    edit(
        config_dir,
        "schedules.yaml",
        "  nightly:",
        "  probe: {task: system.echo, every: 1s, queue: fresh}\n  nightly:",
    )
    assert refused(config_dir) == [
        f"schedules.yaml:4:41: error: schedule 'probe' needs queue 'fresh', which the running "
        f"beat and workers do not declare: {RESTART}"
    ]


def test_a_schedule_of_a_task_the_running_app_does_not_register_is_refused(config_dir):
    edit(
        config_dir,
        "tasks.yaml",
        "  system.echo:",
        '  system.new: {handler: "testhandlers:echo"}\n  system.echo:',
    )
    edit(
        config_dir, "schedules.yaml", "task: system.echo, every: 1s", "task: system.new, every: 1s"
    )
    assert refused(config_dir) == [
        "schedules.yaml:3:10: error: schedule 'tick' needs task 'system.new', which the running "
        f"beat and workers do not register: {RESTART}"
    ]


def test_a_scheduled_task_given_another_handler_is_refused_where_the_handler_is(config_dir):
    edit(config_dir, "tasks.yaml", 'system.echo: {handler: "testhandlers:echo"}',
         'system.echo: {handler: "testhandlers:flaky"}')  # fmt: skip
    edit(config_dir, "tasks.yaml", 'default.echo: {handler: "testhandlers:echo"}',
         'default.echo: {handler: "testhandlers:fatal"}')  # fmt: skip  # not scheduled
    assert refused(config_dir) == [
        "tasks.yaml:8:17: error: schedule 'tick' needs task 'system.echo' to run "
        "testhandlers:flaky, the running workers run testhandlers:echo: " + RESTART
    ]


def test_polictl_shows_a_refusal_only_for_the_files_on_disk():
    from polictl.beat_report import BeatReport

    holder = {"host": "web-2", "pid": 42, "since": "2030-01-01T00:00:00+00:00"}
    rejected = {"config_hash": "b" * 64, "reason": "schedules.yaml:4:41: schedule 'probe' needs"}
    status = {"config_hash": "a" * 64, "generation": 1, "rejected": rejected}
    refused_here = BeatReport("b" * 64, holder=holder, status=status)
    assert refused_here.lines()[-1] == (
        "beat: refused the files on disk (bbbbbbbbbbbb): schedules.yaml:4:41: schedule 'probe' needs"
    )
    edited_since = BeatReport("c" * 64, holder=holder, status=status)  # not what beat refused
    assert edited_since.refusal is None
    assert edited_since.lines()[-1].startswith("beat: the files on disk differ (cccccccccccc)")
