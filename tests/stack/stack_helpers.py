"""Helpers for the local-stack tests: a config dir, `polictl` as a subprocess, waiting."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from waiting import wait_for  # noqa: F401 - the stack tests import it from here

ROOT = Path(__file__).resolve().parents[2]
POLICTL = str(Path(sys.prefix) / "bin" / "polictl")
CONFIG_FILES = ("queues.yaml", "tasks.yaml", "schedules.yaml")


@dataclass
class Stack:
    config_dir: Path
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def polictl(self, *args: str, timeout: float = 60, input: str | None = None):
        return subprocess.run(
            [POLICTL, "-C", str(self.config_dir), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )

    def supervisor(self):
        from polictl.stack.layout import Layout
        from polictl.stack.supervisor import Supervisor

        return Supervisor(Layout(self.config_dir.resolve(), self.data_dir.resolve()))

    def pids(self) -> list[int]:
        from polictl.stack.processes import stack_pids

        return stack_pids(self.data_dir.resolve())


def small_config(target: Path, flower_port: int, console_port: int = 0) -> Path:
    """The repo's own YAML, shrunk for a 2-core CI machine: concurrency 1, Flower (and the
    console) on free ports."""
    target.mkdir(parents=True)
    for name in CONFIG_FILES:
        shutil.copy(ROOT / name, target / name)
    queues = (target / "queues.yaml").read_text()
    queues = re.sub(r"concurrency: \d+", "concurrency: 1", queues)
    if not console_port:
        from engine.runtime.embedded import free_port

        console_port = free_port()
    queues = queues.replace("port: 5556", f"port: {console_port}")
    queues = queues.replace("port: 5555", f"port: {flower_port}")
    (target / "queues.yaml").write_text(queues)
    return target
