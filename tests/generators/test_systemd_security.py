"""Every kind of rendered unit (worker template, beat, Flower, the embedded Redis) rates at
most 2.0 in `systemd-analyze security --offline=true`, the figure a security review reads.

The rating is systemd's own, from the unit file alone; a unit without the sandbox rates
8.7 (issue 25), which the last test shows the check catches.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from render_cases import load_case

from engine.model import Platform
from generators.systemd import render_systemd
from polictl.files import write_tree

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
pytestmark = pytest.mark.skipif(not Path(SYSTEMD_ANALYZE).exists(), reason="no systemd-analyze")
LIMIT = 2.0
EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+\.\d)")
KINDS = {
    "worker": "poli-worker-default@.service",
    "beat": "poli-beat.service",
    "flower": "poli-flower.service",
    "redis": "poli-redis.service",
}


def exposure(unit_dir: Path, unit: str) -> float:
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--no-pager", unit],
        cwd=unit_dir, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    found = EXPOSURE.search(result.stdout + result.stderr)
    assert found, result.stdout + result.stderr
    return float(found.group(1))


def rendered(platform: Platform, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    files = render_systemd(platform)
    write_tree(tmp_path / "units", files)
    return tmp_path / "units", files


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_unit_kind_rates_at_most_2(kind: str, tmp_path: Path) -> None:
    # The embedded broker renders all four kinds (the full case, as users deploy it).
    unit_dir, files = rendered(load_case("full", broker_url="embedded"), tmp_path)
    assert exposure(unit_dir, KINDS[kind]) <= LIMIT


def test_every_rendered_unit_rates_at_most_2(tmp_path: Path) -> None:
    unit_dir, files = rendered(load_case("full", broker_url="embedded"), tmp_path)
    units = [name for name in files if name.endswith(".service")]
    assert len(units) == 7  # workers, beat, Flower, the console, Redis
    assert {unit: exposure(unit_dir, unit) for unit in units} == {
        unit: min(exposure(unit_dir, unit), LIMIT) for unit in units
    }


@pytest.mark.parametrize(("pool", "denied"), [("prefork", True), ("gevent", False)])
def test_write_execute_is_denied_where_the_pool_allows(
    pool: str, denied: bool, tmp_path: Path
) -> None:
    platform = load_case("full")
    groups = tuple(dataclasses.replace(g, pool=pool) for g in platform.workers)
    unit_dir, files = rendered(dataclasses.replace(platform, workers=groups), tmp_path)
    assert ("\nMemoryDenyWriteExecute=yes\n" in files[KINDS["worker"]]) is denied
    assert exposure(unit_dir, KINDS["worker"]) <= LIMIT


def test_the_check_catches_an_unsandboxed_unit(tmp_path: Path) -> None:
    unit_dir, files = rendered(load_case("full", broker_url="embedded"), tmp_path)
    text = files[KINDS["beat"]]
    start, end = text.index("# Sandbox:"), text.index("\nReadWritePaths=")
    (unit_dir / KINDS["beat"]).write_text(text[:start] + "NoNewPrivileges=yes" + text[end:])
    assert exposure(unit_dir, KINDS["beat"]) > LIMIT


@pytest.mark.parametrize(("home", "protect"), [("/opt/poli", "yes"), ("/home/poli", "read-only")])
def test_a_deployment_under_home_keeps_its_paths(home: str, protect: str, tmp_path: Path) -> None:
    platform = load_case("full", broker_url="embedded")
    deploy = dataclasses.replace(
        platform.deploy, working_directory=home, virtualenv=f"{home}/.venv"
    )
    unit_dir, files = rendered(dataclasses.replace(platform, deploy=deploy), tmp_path)
    assert f"\nProtectHome={protect}\n" in files[KINDS["worker"]]
    assert exposure(unit_dir, KINDS["worker"]) <= LIMIT
