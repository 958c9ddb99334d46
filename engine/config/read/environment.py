"""Where a process finds its config: read from the environment, nothing else imported."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir_from_env() -> Path:
    return Path(os.environ.get("POLI_CONFIG_DIR") or ".")


def environment_from_env() -> str | None:
    """The overlay a process runs with (`polictl -e NAME` sets it for what it starts)."""
    return os.environ.get("POLI_ENVIRONMENT") or None
