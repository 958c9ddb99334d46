"""`polictl render systemd|supervisor --host NAME | --all-hosts` as an operator runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from polictl.main import cli

CONFIGS = Path(__file__).resolve().parents[1] / "generators" / "configs"
HOSTS = CONFIGS / "hosts"


@pytest.fixture(autouse=True)
def broker_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLI_BROKER_URL", "redis://:s3cret@broker.internal:6379/0")


def polictl(config_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["-C", str(config_dir), "render", *args])


@pytest.mark.parametrize("fmt", ["systemd", "supervisor"])
def test_all_hosts_writes_a_folder_per_host_then_check_passes(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = polictl(HOSTS, fmt, "--all-hosts", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["host-b", "host-c"]
    result = polictl(HOSTS, fmt, "--all-hosts", "-o", str(out), "--check")
    assert (result.exit_code, result.stdout) == (0, "")


def test_a_host_gone_from_the_yaml_leaves_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    polictl(HOSTS, "supervisor", "--all-hosts", "-o", str(out))
    shutil.copytree(out / "host-b", out / "host-old")
    (out / "notes.txt").write_text("not ours\n")
    result = polictl(HOSTS, "supervisor", "--all-hosts", "-o", str(out), "--check")
    assert result.exit_code == 1
    assert "--- a/host-old/poli.conf\n+++ /dev/null\n" in result.stdout
    result = polictl(HOSTS, "supervisor", "--all-hosts", "-o", str(out))
    assert f"removed stale {out / 'host-old' / 'poli.conf'}\n" in result.output
    assert (out / "notes.txt").exists() and (out / "host-b" / "poli.conf").exists()


def test_one_host_goes_to_deploy_format_host_by_default(tmp_path: Path) -> None:
    config = shutil.copytree(HOSTS, tmp_path / "config")
    result = polictl(config, "systemd", "--host", "host-c")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (config / "deploy" / "systemd" / "host-c").iterdir())
    assert written == [
        "poli-beat.service",
        "poli-console.service",
        "poli-flower.service",
        "poli-worker-shared@.service",
        "poli.target",
        "tmpfiles.d",
    ]


@pytest.mark.parametrize(
    ("config", "args", "code", "message"),
    [
        (
            "hosts",
            ["supervisor"],
            2,
            "error: queues.yaml places the work on 2 host(s): render one host's bundle, or all"
            " of them\n  hint: polictl render supervisor --host host-b   or   polictl render"
            " supervisor --all-hosts -o DIR\n",
        ),
        (
            "hosts",
            ["systemd", "--host", "hots-b"],
            2,
            "error: host 'hots-b' is not declared under `hosts:`\n  hint: did you mean 'host-b'?\n",
        ),
        (
            "full",
            ["systemd", "--host", "app1"],
            1,
            "error: queues.yaml declares no hosts, so everything runs on one host\n"
            "  hint: render without --host/--all-hosts, or add a `hosts:` section\n",
        ),
    ],
)
def test_mistakes_are_named(config: str, args: list[str], code: int, message: str) -> None:
    result = polictl(CONFIGS / config, *args, "-o", "/nonexistent/never-written")
    assert (result.exit_code, result.stderr) == (code, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["compose", "--host", "host-b"],
            "--host and --all-hosts render systemd or supervisor, not compose",
        ),
        (
            ["systemd", "--host", "host-b", "--all-hosts"],
            "--host and --all-hosts exclude each other",
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = polictl(HOSTS, *args, "-o", "/nonexistent/never-written")
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Error: {message}\n")


def test_an_invalid_multi_host_config_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POLI_BROKER_URL", "redis://127.0.0.1:6379/0")
    out = tmp_path / "out"
    result = polictl(HOSTS, "supervisor", "--all-hosts", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "queues.yaml:3:8: error: the broker must be reachable from all 2 hosts, but 127.0.0.1 is"
        " a loopback address, so each host would reach only itself\n"
    )
    assert not out.exists()
