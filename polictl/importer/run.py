"""Reading an app in a subprocess: the original (`MODULE:APP`) or poli's own, built from
the written files (`engine.app:app`), each from the user's project directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.diagnostics import UserError

TIMEOUT = 180  # seconds: a Django project's start-up included
BAD_INPUT = 2


def check_time() -> str:
    """The instant both apps' fire times start from: now, 30 s past the minute (never on a
    fire time, where "next" could mean this one or the one after)."""
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    return now.isoformat()


def clean_environment(
    extra: dict[str, str] | None = None, project: Path | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLI_", "CELERY_"))}
    if project is not None:
        env["PYTHONPATH"] = _path(project)
    env.update(extra or {})
    return env


def validate_files(config_dir: Path, project: Path) -> str | None:
    """`polictl validate` of `config_dir` as the project's worker would see it (its modules
    importable, in a process of its own); None when valid, else what it printed."""
    with tempfile.TemporaryDirectory(prefix="poli-import-data-") as data:
        done = subprocess.run(
            [sys.executable, "-m", "polictl", "-C", str(config_dir), "validate"],
            cwd=project, env=clean_environment({"POLI_DATA_DIR": data}, project),
            capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip()


def read_app(
    spec: str, project: Path, now: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """The snapshot of app `spec`; a UserError (exit 2) when it cannot be read."""
    command = [sys.executable, "-m", "polictl.importer.reader", spec, now]
    environment = env if env is not None else {**os.environ, "PYTHONPATH": _path(project)}
    try:
        done = subprocess.run(
            command, cwd=project, env=environment, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise UserError(
            f"{spec}: loading the app took over {TIMEOUT} s", exit_code=BAD_INPUT
        ) from None
    try:
        data = json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict) and "error" in data:
        raise UserError(data["message"], exit_code=BAD_INPUT)
    if done.returncode != 0 or not isinstance(data, dict):
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise UserError(
            f"{spec}: reading the app failed (exit {done.returncode}):\n{tail}", exit_code=BAD_INPUT
        )
    return data


def _path(project: Path) -> str:
    return os.pathsep.join(p for p in (str(project), os.environ.get("PYTHONPATH", "")) if p)
