"""This stack's processes, found by the marker supervisord passes to every child.

A worker killed with SIGKILL can orphan its pool children; supervisord no longer knows
them, so `down` finds whatever still carries this stack's marker and ends it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from polictl.stack.supervisor import STACK_MARKER


def stack_pids(data_dir: Path) -> list[int]:
    """Pids of live processes whose environment marks them as this stack's (Linux /proc)."""
    marker = f"{STACK_MARKER}={data_dir}".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if marker in environ.split(b"\0") and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return sorted(pids)


def end(pids: list[int], grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL after `grace` seconds; returns the pids that had to be killed."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    killed = [pid for pid in pids if _alive(pid)]
    for pid in killed:
        _signal(pid, signal.SIGKILL)
    return killed


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; its parent has yet to reap it


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
