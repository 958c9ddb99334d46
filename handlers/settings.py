"""Where the data lives. Read from the environment at call time, never at import time.

POLI_DATABASE_URL  any SQLAlchemy URL; default ``sqlite:///<data dir>/poli.db``
POLI_DATA_DIR      default ``./var``
POLI_REPORTS_DIR   default ``<data dir>/reports``
POLI_LOG_DIR       default ``<data dir>/logs``
POLI_BACKUP_DIR    default ``<data dir>/backups``
"""

from __future__ import annotations

import os
from pathlib import Path


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def data_dir() -> Path:
    return Path(_env("POLI_DATA_DIR") or "./var")


def database_url() -> str:
    return _env("POLI_DATABASE_URL") or f"sqlite:///{data_dir() / 'poli.db'}"


def reports_dir() -> Path:
    return Path(_env("POLI_REPORTS_DIR") or data_dir() / "reports")


def log_dir() -> Path:
    return Path(_env("POLI_LOG_DIR") or data_dir() / "logs")


def backup_dir() -> Path:
    return Path(_env("POLI_BACKUP_DIR") or data_dir() / "backups")
