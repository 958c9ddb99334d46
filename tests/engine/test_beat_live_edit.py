"""A real `celery -A engine.app beat` on the session's Redis, edited while it runs: an edit
that needs what the running processes froze at start (a new queue, a new task) is refused
with its reason, the last config keeps firing; an edit beat can carry out still applies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis
from celery_process import celery_beat
from test_beat_processes import MINIMAL, count, polictl, wait_for

RESTART = (
    "restart beat and the workers (polictl down, then up; or render, then systemctl restart "
    "poli.target)"
)
PROBE = "  probe: {task: system.echo, every: 1s, queue: fresh, args: [probe]}\n"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return shutil.copytree(MINIMAL, tmp_path / "config")


def add(path: Path, before: str, text: str) -> None:
    content = path.read_text()
    assert before in content, content
    path.write_text(content.replace(before, text + before, 1))


def refusals(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "beat: refused the edit" in line]


def test_an_edit_needing_a_restart_is_refused_and_the_last_config_keeps_firing(
    config_dir, redis_url, tmp_path
):
    client = redis.Redis.from_url(redis_url)
    log = tmp_path / "beat.log"
    original = {name: (config_dir / name).read_text() for name in ("queues.yaml", "tasks.yaml")}
    with celery_beat(config_dir, redis_url, tmp_path, log):
        wait_for(lambda: count(client, "tick") >= 1, 30, "a first tick", log)

        # a new queue, its worker group and a schedule sent to it: the running app has none
        add(config_dir / "queues.yaml", "  system:", "  fresh: {description: New}\n")
        add(config_dir / "queues.yaml", "  system: {queues", "  fresh: {queues: [fresh]}\n")
        add(config_dir / "schedules.yaml", "  nightly:", PROBE)
        took = wait_for(lambda: refusals(log), 10, "the refusal", log)
        print(f"refusal: logged {took:.2f}s after the edit")
        assert refusals(log)[0].endswith(
            "beat: refused the edit; still running generation 1: schedules.yaml:4:41: schedule "
            f"'probe' needs queue 'fresh', which the running beat and workers do not declare: "
            f"{RESTART}"
        )
        ticks = count(client, "tick")
        wait_for(lambda: count(client, "tick") >= ticks + 3, 10, "three more ticks", log)
        shown = polictl(config_dir, redis_url, "schedules").stdout
        assert "beat: refused the files on disk (" in shown and "'probe' needs queue" in shown
        status = polictl(config_dir, redis_url, "status").stdout
        assert "problem: beat runs other files than those on disk: schedules.yaml:4:41:" in status

        # the same schedule on a known queue, of a task the running app does not register
        for name, text in original.items():
            (config_dir / name).write_text(text)
        add(config_dir / "tasks.yaml", "  system.echo:", '  system.new: {handler: "testhandlers:echo"}\n')  # fmt: skip
        schedules = config_dir / "schedules.yaml"
        schedules.write_text(schedules.read_text().replace(PROBE, PROBE.replace(
            "task: system.echo, every: 1s, queue: fresh", "task: system.new, every: 1s")))  # fmt: skip
        wait_for(lambda: len(refusals(log)) >= 2, 10, "the second refusal", log)
        assert (
            "schedules.yaml:4:11: schedule 'probe' needs task 'system.new', which the "
            in (refusals(log)[1])
        )
        ticks = count(client, "tick")
        wait_for(lambda: count(client, "tick") >= ticks + 2, 10, "two more ticks", log)

        # what beat can carry out: a new schedule of a task and queue the processes have
        (config_dir / "tasks.yaml").write_text(original["tasks.yaml"])
        schedules.write_text(schedules.read_text().replace("system.new", "system.echo"))
        wait_for(lambda: count(client, "probe") >= 2, 10, "the probe, applied", log)
        assert (
            "beat: the files on disk match it" in polictl(config_dir, redis_url, "schedules").stdout
        )

    text = log.read_text()
    assert len(refusals(log)) == 2 and "Traceback" not in text
    assert "QueueNotFound" not in text and client.llen("fresh") == 0  # the refused never sent
    assert text.count("Sending due task probe (system.echo)") == count(client, "probe")
