"""A virtualenv with poli installed from its wheel, as a team installs it into their own
project: built once per session (about 30 s), shared by every `wheel`-marked test. A test
directory uses it with `from wheel_venv import poli_wheel_venv` in its conftest.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("engine", "generators", "polictl", "pyproject.toml")
INSTALL_TIMEOUT = 600  # seconds: the dependencies come from pip's cache or its find-links


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=INSTALL_TIMEOUT)  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


@pytest.fixture(scope="session")
def poli_wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin/` of a fresh virtualenv holding poli's wheel and its dependencies only."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a clean copy: no stale build/ can slip files into the wheel
    for name in SHIPPED:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        kwargs = (
            {"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}
        )
        copy(ROOT / name, source / name, **kwargs)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", base / "dist", source)
    [wheel] = (base / "dist").glob("poli-*.whl")
    _run(sys.executable, "-m", "venv", base / "venv")
    _run(base / "venv" / "bin" / "pip", "install", "--quiet", wheel)
    return base / "venv" / "bin"
