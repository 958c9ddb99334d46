"""`polictl render` as a user runs it: writes, `--check`, nothing written when invalid."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from render_cases import CONFIGS

from polictl.main import cli


def polictl(config_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["-C", str(config_dir), "render", *args])


@pytest.mark.parametrize("fmt", ["systemd", "supervisor", "compose"])
def test_render_writes_then_check_passes(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert polictl(CONFIGS / "full", fmt, "-o", str(out)).exit_code == 0
    assert any(out.iterdir())
    result = polictl(CONFIGS / "full", fmt, "-o", str(out), "--check")
    assert (result.exit_code, result.stdout) == (0, "")


def test_default_out_dir_is_deploy_format_under_the_config_dir(tmp_path: Path) -> None:
    config = shutil.copytree(CONFIGS / "full", tmp_path / "config")
    assert polictl(config, "compose").exit_code == 0
    compose = (config / "deploy" / "compose" / "compose.yaml").read_text()
    assert 'context: "../.."' in compose
    assert 'dockerfile: "deploy/compose/Dockerfile"' in compose


def test_check_shows_a_diff_for_a_changed_missing_or_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "units"
    polictl(CONFIGS / "full", "systemd", "-o", str(out))
    target = out / "poli.target"
    target.write_text(target.read_text().replace("Wants=poli-beat.service\n", ""))
    (out / "poli-flower.service").unlink()
    (out / "poli-worker-gone@.service").write_text("[Service]\n")
    (out / "unrelated.txt").write_text("not ours\n")
    result = polictl(CONFIGS / "full", "systemd", "-o", str(out), "--check")
    assert result.exit_code == 1
    assert "--- a/poli.target\n+++ b/poli.target\n" in result.stdout
    assert "+Wants=poli-beat.service\n" in result.stdout
    assert "--- /dev/null\n+++ b/poli-flower.service\n" in result.stdout
    assert "--- a/poli-worker-gone@.service\n+++ /dev/null\n" in result.stdout
    assert "unrelated.txt" not in result.stdout
    assert not (out / "poli-flower.service").exists()  # --check writes nothing


def test_render_replaces_a_stale_unit_and_leaves_other_files(tmp_path: Path) -> None:
    out = tmp_path / "units"
    (out).mkdir()
    (out / "poli-worker-gone@.service").write_text("[Service]\n")
    (out / "unrelated.txt").write_text("not ours\n")
    assert polictl(CONFIGS / "full", "systemd", "-o", str(out)).exit_code == 0
    assert not (out / "poli-worker-gone@.service").exists()
    assert (out / "unrelated.txt").exists()


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_invalid_config_writes_nothing(check: list[str], tmp_path: Path) -> None:
    config = shutil.copytree(CONFIGS / "full", tmp_path / "config")
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("concurrency: 4", "concurrency: lots"))
    result = polictl(config, "supervisor", "-o", str(tmp_path / "out"), *check)
    assert result.exit_code == 1
    assert "queues.yaml:" in result.stderr
    assert not (tmp_path / "out").exists()
    assert not (config / "deploy").exists()


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    assert polictl(CONFIGS / "full", "helm", "-o", str(tmp_path)).exit_code == 2


def test_an_unwritable_output_directory_is_an_error_not_a_traceback(tmp_path):
    from click.testing import CliRunner

    from polictl.main import cli

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    root = Path(__file__).resolve().parent.parent.parent
    result = CliRunner().invoke(
        cli, ["-C", str(root), "render", "systemd", "-o", str(blocker / "out")]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot write to {blocker / 'out'}: ")
    assert "Traceback" not in result.output
