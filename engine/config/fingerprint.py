"""A fingerprint of the config files as they are on disk: what a running beat loaded,
compared by `polictl schedules` and `status` with what the files say now."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.model.files import config_files


def config_hash(config_dir: Path, environment: str | None = None) -> str:
    """sha256 over the names and bytes of the config files (a missing file counts too)."""
    digest = hashlib.sha256()
    for path in config_files(config_dir, environment):
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0missing"
        digest.update(f"{path.name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()
