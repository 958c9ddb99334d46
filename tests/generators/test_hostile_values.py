"""Names stay names, text stays text: hostile values (newlines, quotes, `$`, `%`, `;`,
backquotes) in every field that reaches a rendered file either stay inside their line
(free text: descriptions, schedule arguments, the image, the output path) or are refused
before anything is written (names, paths, accounts, addresses, the environment)."""

from __future__ import annotations

import configparser
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from render_cases import CONFIGS

from polictl.main import cli

HOSTILE = CONFIGS / "hostile"
FORMATS = ["compose", "kubernetes", "supervisor", "systemd"]
ENV = {"POLI_BROKER_URL": "redis://broker.internal:6379/0"}
IMAGE = 'registry.example.com/poli:"1";$HOME%n%(here)s`id`\\INJECTED=1'
EVIL = "x\nUser=root\n\"';$HOME%n%(here)s`id`"
# A line some hostile value broke out onto would start like one of these.
ESCAPED = re.compile(r"""\s*(['"]?INJECTED|User=root)""")
UNIT_LINE = re.compile(r"(#.*|\[(Unit|Service|Install)\]|[A-Za-z]+=.*|[dL] /.*|)")


def polictl(*args: str):
    return CliRunner().invoke(cli, list(args), env=ENV)


def rendered(tmp_path: Path, fmt: str) -> tuple[Path, dict[str, str]]:
    config = shutil.copytree(HOSTILE, tmp_path / "config")
    out = config / "out\nINJECTED=1 $HOME ${X} %n ; '\"`id`"
    result = polictl("-C", str(config), "-e", "prod", "render", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    files = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    return out, files


@pytest.mark.parametrize("fmt", FORMATS)
def test_free_text_stays_on_its_line(fmt: str, tmp_path: Path) -> None:
    out, files = rendered(tmp_path, fmt)
    assert files
    for name, text in files.items():
        assert [line for line in text.splitlines() if ESCAPED.match(line)] == [], name


def test_systemd_units_hold_only_sections_keys_and_comments(tmp_path: Path) -> None:
    _, files = rendered(tmp_path, "systemd")
    for name, text in files.items():
        assert [line for line in text.splitlines() if not UNIT_LINE.fullmatch(line)] == [], name
        assert text.count("[Service]") <= 1


def test_supervisor_reads_back_only_poli_sections(tmp_path: Path) -> None:
    _, files = rendered(tmp_path, "supervisor")
    parser = configparser.RawConfigParser(strict=True)
    parser.read_string(files["poli.conf"])
    assert {s.partition(":")[0] for s in parser.sections()} == {"program", "group"}


def test_kubernetes_reads_back_the_exact_values(tmp_path: Path) -> None:
    _, files = rendered(tmp_path, "kubernetes")
    config = tmp_path / "config"
    docs = [d for text in files.values() for d in yaml.safe_load_all(text) if d]
    images = {
        c["image"]
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {IMAGE}
    data = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert data == {name: (config / name).read_text() for name in data}
    assert "queues.prod.yaml" in data


def test_compose_reads_back_the_exact_output_path(tmp_path: Path) -> None:
    out, files = rendered(tmp_path, "compose")
    build = yaml.safe_load(files["compose.yaml"])["x-poli"]["build"]
    # `$$` is Compose's literal `$`.
    dockerfile = build["dockerfile"].replace("$$", "$")
    assert dockerfile == str((out / "Dockerfile").relative_to(tmp_path / "config"))


@pytest.mark.parametrize(
    "overlay",
    [
        {"deploy": {"state_dir": "/var/lib/poli\nUser=root"}},
        {"deploy": {"log_dir": "/var/log/poli;id"}},
        {"deploy": {"working_directory": "/opt/$HOME"}},
        {"deploy": {"virtualenv": "/opt/%n"}},
        {"deploy": {"environment_file": "/etc/'poli'.env"}},
        {"deploy": {"user": "poli\nUser=root"}},
        {"deploy": {"flower": {"address": "127.0.0.1\nUser=root"}}},
        {"queues": {"evil\nUser=root": {"description": "d"}}},
        {"workers": {"evil;id": {"queues": ["default"]}}},
        {"kubernetes": {"namespace": "poli\nkind: Secret"}},
        {"kubernetes": {"secret": "poli$HOME"}},
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_names_and_paths_are_refused(fmt: str, overlay: dict, tmp_path: Path) -> None:
    config = shutil.copytree(HOSTILE, tmp_path / "config")
    (config / "queues.evil.yaml").write_text(yaml.safe_dump(overlay))
    out = tmp_path / "out"
    result = polictl("-C", str(config), "-e", "evil", "render", fmt, "-o", str(out))
    assert result.exit_code == 1
    assert re.search(r"^queues\.evil\.yaml:\d+:\d+: error: ", result.output, re.M)
    assert not out.exists()


@pytest.mark.parametrize("name", ["prod\nUser=root\n#", "../prod", "prod;id", "$HOME", "%n"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hostile_environment_name_is_refused(fmt: str, name: str, tmp_path: Path) -> None:
    config = shutil.copytree(HOSTILE, tmp_path / "config")
    (config / f"queues.{name.replace('/', '_')}.yaml").write_text("{}\n")
    out = tmp_path / "out"
    result = polictl("-C", str(config), "-e", name, "render", fmt, "-o", str(out))
    assert result.exit_code == 2
    message = f"Error: Invalid value for '-e' / '--env': invalid name {name!r}: an environment "
    message += "name reaches unit, process and Kubernetes names, so it starts with a lowercase "
    assert message + "letter, then up to 62 of a-z 0-9 _ . -\n" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_loader_refuses_a_hostile_environment_too() -> None:
    from engine.config import load

    result = load(HOSTILE, "prod\nUser=root", env=ENV)
    assert result.platform is None
    assert [str(d.message) for d in result.diagnostics] == [
        "environment: invalid name 'prod\\nUser=root': an environment name reaches unit,"
        " process and Kubernetes names, so it starts with a lowercase letter, then up to 62 of"
        " a-z 0-9 _ . -"
    ]
