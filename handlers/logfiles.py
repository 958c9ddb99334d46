"""Deleting old log files inside one directory, and nowhere else.

The walk holds a file descriptor per directory (os.fwalk) and never follows symlinks,
so neither a symlink nor a directory swapped for one leads outside the log directory."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LOG_PATTERNS = ("*.log", "*.log.*")  # worker.log, worker.log.1, worker.log.2026-01-01.gz


def delete_old_logs(
    root: Path, cutoff: float, patterns: Iterable[str] = LOG_PATTERNS
) -> dict[str, Any]:
    """Delete regular files under ``root`` matching ``patterns`` modified before ``cutoff``
    (epoch seconds). Symlinks are never followed nor deleted."""
    patterns = tuple(patterns)
    deleted: list[str] = []
    failed: list[str] = []
    freed = skipped = 0
    for dirpath, dirnames, filenames, dirfd in os.fwalk(root, follow_symlinks=False):
        for name in filenames + dirnames:
            relative = os.path.relpath(os.path.join(dirpath, name), root)
            try:
                info = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    skipped += 1
                    continue
                wanted = any(fnmatch.fnmatchcase(name, p) for p in patterns)
                if not (stat.S_ISREG(info.st_mode) and wanted and info.st_mtime < cutoff):
                    continue
                os.unlink(name, dir_fd=dirfd)
            except FileNotFoundError:
                continue  # rotated away meanwhile
            except OSError as exc:
                failed.append(f"{relative}: {exc.strerror}")
                continue
            deleted.append(relative)
            freed += info.st_size
    return {
        "deleted": sorted(deleted),
        "count": len(deleted),
        "bytes": freed,
        "symlinks": skipped,
        "errors": failed,
    }
