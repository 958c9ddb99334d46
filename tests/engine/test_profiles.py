"""Worker-group profiles: each fills the group's settings it does not set itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.config import load
from generators.common import worker_args

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"


def group(tmp_path: Path, spec: str, tasks: str | None = None):
    config = tmp_path / "config"
    shutil.copytree(BASE, config)
    if tasks is not None:
        (config / "tasks.yaml").write_text(tasks)
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("main: {queues: [default, system]}", f"main: {{queues: [default, system], {spec}}}"))  # fmt: skip
    result = load(config)
    assert result.platform is not None, result.diagnostics
    return next(w for w in result.platform.workers if w.name == "main")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("concurrency: 3", (3, 1, 4, "prefork", None)),  # Celery's prefetch
        ("profile: throughput, concurrency: 3", (1, 3, 16, "solo", None)),
        ("profile: throughput, concurrency: 2, replicas: 2", (1, 4, 16, "solo", None)),
        ("profile: throughput, prefetch_multiplier: 4", (1, 2, 4, "solo", None)),
        ("profile: throughput, pool: threads", (1, 2, 16, "threads", None)),
        ("profile: latency, concurrency: 3", (3, 1, 1, "prefork", None)),
        ("profile: long-running", (2, 1, 1, "prefork", 100)),
        ("profile: long-running, max_tasks_per_child: 10", (2, 1, 1, "prefork", 10)),
    ],
)
def test_a_profile_fills_what_the_group_leaves_unset(tmp_path, spec, expected):
    worker = group(tmp_path, spec)
    found = (worker.concurrency, worker.replicas, worker.prefetch_multiplier, worker.pool,
             worker.max_tasks_per_child)  # fmt: skip
    assert found == expected


def test_the_throughput_profile_reaches_the_worker_command_line(tmp_path):
    worker = group(tmp_path, "profile: throughput")
    args = worker_args(worker, "main-1@host")
    assert args[args.index("--concurrency") + 1] == "1"
    assert args[args.index("--prefetch-multiplier") + 1] == "16"
    assert worker.replicas == 2 and worker.profile == "throughput"
    assert args[args.index("--pool") + 1] == "solo"


def test_throughput_keeps_prefork_where_a_task_declares_a_time_limit(tmp_path):
    tasks = (
        "tasks:\n"
        '  system.echo: {handler: "basehandlers:echo", soft_time_limit: 10s}\n'
        '  default.echo: {handler: "basehandlers:echo"}\n'
    )
    worker = group(tmp_path, "profile: throughput", tasks)
    assert (worker.pool, worker.concurrency, worker.replicas) == ("prefork", 1, 2)
