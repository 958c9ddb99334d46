"""Online, consistent database backups, verified before they count, with rotation.

SQLite: the sqlite3 backup API (a consistent snapshot while writers carry on), then
``PRAGMA integrity_check`` on the copy. PostgreSQL: ``pg_dump --format=custom``, then
``pg_restore --list`` on the dump. A backup becomes visible (``poli-<UTC stamp>.<ext>``)
only after it has been verified, so rotation never keeps a broken one in place of a good one."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from handlers.errors import ConfigurationError, TransientError

PREFIX = "poli-"


class BackupError(RuntimeError):
    """The backup was made but does not open or does not pass its check."""


def _tmp(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp")


def backup_sqlite(source: Path, target: Path) -> Path:
    if not source.is_file():
        raise ConfigurationError(f"SQLite database {source} does not exist")
    tmp = _tmp(target)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            # The copy inherits WAL mode; a backup must be one self-contained file.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        verify_sqlite(tmp)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return target


def verify_sqlite(path: Path) -> None:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"backup {path.name} does not open: {exc}") from exc
    finally:
        conn.close()
    if result != [("ok",)] or not tables[0]:
        raise BackupError(f"backup {path.name} failed its integrity check: {result}")


def backup_postgres(url: str, target: Path, timeout: float = 3600) -> Path:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise ConfigurationError(
            "pg_dump not found on PATH: install the PostgreSQL client tools "
            "(same major version as the server) to back up a PostgreSQL database"
        )
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)  # never on the command line
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(False)
    tmp = _tmp(target)
    try:
        command = [pg_dump, "--format=custom", "--file", str(tmp), "--dbname", dsn]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            message = f"pg_dump failed ({done.returncode}): {done.stderr.strip()}"
            if "connection" in done.stderr or "could not connect" in done.stderr:
                raise TransientError(message)
            raise BackupError(message)
        verify_pg_dump(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def verify_pg_dump(path: Path) -> None:
    with path.open("rb") as handle:
        if handle.read(5) != b"PGDMP":
            raise BackupError(f"backup {path.name} is not a pg_dump custom-format archive")
    pg_restore = shutil.which("pg_restore")
    if pg_restore is not None:
        done = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"backup {path.name} does not read back: {done.stderr.strip()}")


def rotate(directory: Path, suffix: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups (names sort by their UTC stamp)."""
    backups = sorted(
        p for p in directory.glob(f"{PREFIX}*{suffix}") if p.is_file() and not p.is_symlink()
    )
    doomed = backups[:-keep] if keep else backups
    for path in doomed:
        path.unlink()
    return [p.name for p in doomed]
