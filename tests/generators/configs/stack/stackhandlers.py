"""A controllable long task for the supervisord test."""

import os
import time
from pathlib import Path


def sleep(marker: str, seconds: float = 0.0) -> str:
    """Sleep, then write `marker` (so a test sees the task ran to its end)."""
    Path(f"{marker}.started").write_text(str(os.getpid()))
    time.sleep(seconds)
    Path(marker).write_text("done")
    return marker
