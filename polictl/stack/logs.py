"""`polictl logs`: the last lines of a log file, then (with -f) new lines as they come."""

from __future__ import annotations

import sys
import time
from collections import deque
from pathlib import Path

FOLLOW_POLL_SECONDS = 0.25


def show(path: Path, lines: int, follow: bool) -> None:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        sys.stdout.writelines(deque(handle, maxlen=lines))
        sys.stdout.flush()
        if follow:
            _follow(path, handle)


def _follow(path: Path, handle) -> None:
    """Like `tail -F`: survives the file being rotated or truncated."""
    try:
        while True:
            line = handle.readline()
            if line:
                sys.stdout.write(line)
                sys.stdout.flush()
                continue
            time.sleep(FOLLOW_POLL_SECONDS)
            if _replaced(path, handle):
                handle.close()
                handle = path.open("r", encoding="utf-8", errors="replace")
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()


def _replaced(path: Path, handle) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_ino != Path(f"/proc/self/fd/{handle.fileno()}").stat().st_ino or (
        stat.st_size < handle.tell()
    )
