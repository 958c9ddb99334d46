"""The import contracts of `make lint` hold on the tree, and fail on a back arrow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.prefix) / "bin" / "lint-imports")
PACKAGES = ("engine", "generators", "polictl", "handlers")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 9 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("engine/durations.py", "from polictl import files", "Layers: polictl -> generators"),
        ("engine/model/__init__.py", "import generators.common", "Layers: polictl -> generators"),
        ("handlers/db.py", "from engine import model", "The handlers (the application)"),
        ("engine/config/read/loader.py", "import celery", "Generators and config loading"),
        ("generators/common.py", "import kombu", "Generators and config loading"),
        ("polictl/render.py", "import handlers.alerts", "poli imports no handler"),
        ("engine/durations.py", "import engine.model", "Engine's parts"),
        ("engine/config/options.py", "import engine.runtime.broker", "Engine's parts"),
        ("engine/secrets.py", "import engine.diagnostics", "Engine's parts"),
        ("engine/config/read/loader.py", "import engine.config.check.schema", "Inside config"),
        ("engine/config/check/broker.py", "import engine.config.build.model", "Inside config"),
        (
            "engine/runtime/tasks/checked.py",
            "import engine.runtime.delivery.bulk",
            "Inside runtime",
        ),
        (
            "engine/runtime/beat/store.py",
            "import engine.runtime.delivery.deadletter",
            "Inside runtime",
        ),
        ("generators/systemd.py", "import engine.config.options", "Generators read only the model"),
        ("engine/model/cron.py", "import yaml", "The model imports neither"),
    ],
)
def test_a_back_arrow_breaks_the_lint(tree: Path, module: str, line: str, broken: str) -> None:
    with (tree / module).open("a") as handle:
        handle.write(f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
    assert "Contracts: 8 kept, 1 broken." in result.stdout
