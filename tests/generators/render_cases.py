"""Shared by the generator tests: the test config dirs and the platforms built from them."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from engine.config import load
from engine.model import Platform
from generators.formats import RENDERERS

CONFIGS = Path(__file__).resolve().parent / "configs"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_BROKER = "redis://:s3cret-password@broker.internal:6379/0"

# The rendered cases kept as golden files under GOLDEN/<format>/<case> (the tests compare,
# `make golden` writes); Kubernetes refuses `full`'s embedded broker: `cluster` has every key.
GOLDEN_CASES = [
    *(
        (fmt, case)
        for fmt in sorted(RENDERERS)
        for case in ("full", "stack")
        if fmt != "kubernetes"
    ),
    ("kubernetes", "stack"),
    ("kubernetes", "cluster"),
]
GOLDEN_HOSTS = ("host-b", "host-c")  # configs/hosts: one bundle each under GOLDEN/hosts/<format>


def read_tree(directory: Path) -> dict[str, str]:
    """The files under `directory`, by relative path (the shape a renderer returns)."""
    return {p.relative_to(directory).as_posix(): p.read_text() for p in directory.rglob("*") if p.is_file()}  # fmt: skip


def load_case(case: str, broker_url: str = EXTERNAL_BROKER) -> Platform:
    result = load(CONFIGS / case, env={"POLI_BROKER_URL": broker_url})
    assert result.platform is not None, result.diagnostics
    return result.platform


def local_deploy(platform: Platform, tmp_path: Path, user: str = "root", **extra) -> Platform:
    """The platform deployed against this test virtualenv, with dirs under tmp_path."""
    deploy = dataclasses.replace(
        platform.deploy,
        user=user,
        group=user or "root",
        working_directory=str(platform.config_dir.resolve()),
        virtualenv=sys.prefix,
        environment_file=str(tmp_path / "poli.env"),
        log_dir=str(tmp_path / "log"),
        state_dir=str(tmp_path / "state"),
        **extra,
    )
    return dataclasses.replace(platform, deploy=deploy)
