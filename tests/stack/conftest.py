"""The local stack as a user runs it: `polictl` in a subprocess, on real processes.

Every stack a test starts is stopped by the `stack` fixture (`polictl down`, then any
process still carrying the stack's marker is killed), whatever the test did.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from stack_helpers import Stack, small_config


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    from engine.runtime.embedded import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("POLI_")}
    env["POLI_DATA_DIR"] = str(tmp_path / "data")
    made = Stack(small_config(tmp_path / "config", free_port()), tmp_path / "data", env)
    try:
        yield made
    finally:
        made.polictl("down", timeout=120)
        from polictl.stack.processes import end

        end(made.pids(), grace=2)


@pytest.fixture
def platform_with_password(monkeypatch: pytest.MonkeyPatch):
    """The repo's platform with a broker URL that carries a password (never connected to)."""
    from stack_helpers import ROOT

    from engine.config import load

    monkeypatch.setenv("POLI_BROKER_URL", "redis://:s3cret@127.0.0.1:1/0")
    return load(ROOT).platform
