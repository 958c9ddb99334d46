"""A worker group's `memory_limit` reaches systemd MemoryMax, Compose mem_limit and Celery's
--max-memory-per-child; the files it renders pass the real systemd and Compose checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from render_cases import load_case, local_deploy
from test_compose_config import compose_config
from test_systemd_verify import SYSTEMD_ANALYZE, instances, verify

from generators.compose import render_compose
from generators.supervisor import render_supervisor
from generators.systemd import render_systemd
from polictl.files import write_tree

GIB = 1024 * 1024  # KiB


def limited(tmp_path: Path):
    """The `stack` case, its first worker group limited to 1G (concurrency 2 -> 3 shares)."""
    platform = local_deploy(load_case("stack"), tmp_path)
    first = dataclasses.replace(platform.workers[0], memory_limit=GIB, concurrency=2)
    return dataclasses.replace(platform, workers=(first, *platform.workers[1:])), first


def test_memory_limit_reaches_every_deployment(tmp_path: Path) -> None:
    platform, group = limited(tmp_path)
    unit = render_systemd(platform)[f"poli-worker-{group.name}@.service"]
    assert "MemoryMax=1048576K\n" in unit
    assert "--max-memory-per-child 349525 " in unit  # 1 GiB / (2 pool processes + main)
    compose = render_compose(platform)["compose.yaml"]
    assert compose.count("mem_limit: 1048576k\n") == 1
    supervisor = "".join(render_supervisor(platform).values())
    assert "--max-memory-per-child 349525 " in supervisor
    others = [w for w in platform.workers if w.memory_limit is None]
    assert all(f"poli-worker-{w.name}@.service" in render_systemd(platform) for w in others)
    assert unit.count("MemoryMax") == 1


def test_an_explicit_max_memory_per_child_wins(tmp_path: Path) -> None:
    platform, group = limited(tmp_path)
    group = dataclasses.replace(group, max_memory_per_child=204800)
    platform = dataclasses.replace(platform, workers=(group, *platform.workers[1:]))
    assert (
        "--max-memory-per-child 204800 "
        in render_systemd(platform)[f"poli-worker-{group.name}@.service"]
    )


@pytest.mark.skipif(not Path(SYSTEMD_ANALYZE).exists(), reason="no systemd-analyze")
def test_limited_units_verify(tmp_path: Path) -> None:
    files = render_systemd(limited(tmp_path)[0])
    write_tree(tmp_path / "units", files)
    result = verify(tmp_path / "units", instances(files))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_limited_compose_file_is_valid(tmp_path: Path) -> None:
    (tmp_path / "poli.env").write_text("POLI_BROKER_URL=redis://broker:6379/0\n")
    write_tree(tmp_path / "deploy", render_compose(limited(tmp_path)[0]))
    result = compose_config(tmp_path / "deploy" / "compose.yaml")
    assert result.returncode == 0, result.stderr


def test_memory_limit_is_read_from_queues_yaml(tmp_path: Path) -> None:
    import shutil

    from engine.config import load

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[1] / "configs" / "reliability", config)
    queues = (config / "queues.yaml").read_text()
    line = "  default: {queues: [default], concurrency: 1}"
    env = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}
    (config / "queues.yaml").write_text(queues.replace(line, line[:-1] + ", memory_limit: 512M}"))
    group = next(w for w in load(config, env=env).platform.workers if w.name == "default")
    assert (group.memory_limit, group.child_memory_limit) == (512 * 1024, 256 * 1024)
    (config / "queues.yaml").write_text(queues.replace(line, line[:-1] + ", memory_limit: 1GB}"))
    [problem] = load(config, env=env).diagnostics
    assert problem.format() == (
        "queues.yaml:10:62: error: invalid memory limit '1GB': write a size like 512M or 2G"
    )
