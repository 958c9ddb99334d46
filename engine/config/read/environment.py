"""Where a process finds its config: read from the environment, nothing else imported."""

from __future__ import annotations

import os
from pathlib import Path

from engine.model.files import CONFIG_DIR_ENV, ENVIRONMENT_ENV


def config_dir_from_env() -> Path:
    return Path(os.environ.get(CONFIG_DIR_ENV) or ".")


def environment_from_env() -> str | None:
    """The overlay a process runs with (`polictl -e NAME` sets it for what it starts)."""
    return os.environ.get(ENVIRONMENT_ENV) or None
