"""The local stack's own paths (the config dir, POLI_DATA_DIR) never went through
`validate`: supervisord's config carries the ones it can exactly, as supervisord's own
parser reads them back, and `polictl up` refuses the others with one message."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from supervisor.options import ServerOptions

from engine.config import load
from polictl.main import cli
from polictl.stack import supervisor as sup
from polictl.stack.layout import Layout

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"
HINT = "  hint: move the project (or POLI_DATA_DIR) to a plain directory name\n"


def test_dollars_backquotes_backslashes_and_spaces_are_carried_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = shutil.copytree(BASE, tmp_path / "c $HOME `id` \\ e")
    data = tmp_path / "d$HOME`id`\\e"
    monkeypatch.setenv("POLI_DATA_DIR", str(data))
    layout = Layout.of(config)
    platform = load(config, env={"POLI_BROKER_URL": "embedded"}).platform
    conf = sup.write_config(sup.local_platform(platform, layout, flower=True), layout)
    section = ServerOptions().read_config(str(conf))  # supervisord's own reading
    assert section.logfile == str(data / "logs" / "supervisord.log")
    programs = [p for g in section.process_group_configs for p in g.process_configs]
    assert {p.name for p in programs} >= {"beat", "flower"}
    for program in programs:
        assert program.directory == str(config)
        assert program.environment == {
            "POLI_CONFIG_DIR": str(config),
            "POLI_DATA_DIR": str(data),
            "POLI_LOG_DIR": str(data / "logs"),
        }
        assert program.stdout_logfile.startswith(str(data / "logs") + "/")
        shell, flag, script = shlex.split(program.command)
        assert (shell, flag) == ("/bin/sh", "-c")
        words = list(shlex.shlex(script, posix=True, punctuation_chars=True))  # as sh reads
        if program.name != "redis":
            assert str(data / "poli.env") in words, program.name


@pytest.mark.parametrize(
    ("data_dir", "problem"),
    [
        ("d;id", "`;`, `%` or quotes"),
        ("d%(here)s", "`;`, `%` or quotes"),
        ("d'x", "`;`, `%` or quotes"),
        ("d ata", "spaces (as the data dir)"),
        ("d\nata", "control characters"),
    ],
)
def test_paths_supervisord_cannot_carry_are_refused(
    data_dir: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / data_dir
    monkeypatch.setenv("POLI_DATA_DIR", str(data))
    result = CliRunner().invoke(cli, ["-C", str(BASE), "up", "--detach"])
    assert (result.exit_code, result.stdout) == (1, "")
    message = f"error: the local stack cannot run from a path with {problem}: {str(data)!r}\n"
    assert result.stderr == message + HINT
    assert not data.exists()
