"""Running `polictl import` as a user does: in their project directory, a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECTS = Path(__file__).resolve().parent / "projects"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLI_", "CELERY_"))}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def polictl(project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polictl", *args],
        cwd=project,
        env=clean_env(**extra),
        capture_output=True,
        text=True,
        timeout=240,
    )


def validate(project: Path, out: Path) -> subprocess.CompletedProcess:
    """`polictl validate` of the written files, the project's modules importable."""
    return polictl(project, "-C", str(out), "validate", PYTHONPATH=str(project),
                   POLI_DATA_DIR=str(out / "var"))  # fmt: skip
