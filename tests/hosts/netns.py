"""Several hosts on one machine, for tests: each host a network namespace (its own network
stack), with its own host name (a UTS namespace) and its own directories bind-mounted over
shared paths (a mount namespace), all joined by veth pairs to a bridge in the first host.

Addresses come from a private range and exist inside the namespaces only: the machine's
own network, interfaces and routes are never touched. Everything is removed again.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "polihosts"  # every namespace this module creates: polihosts-<pid>-<token>-<host>
SUBNET = "10.250.{net}.{host}"
TOOLS = ("ip", "unshare", "mount", "hostname")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def unavailable() -> str | None:
    """Why namespaces cannot be made here (a skip reason), or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add); run the suite as root to include this test"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools for network namespaces: {', '.join(missing)}"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    made = _run("ip", "netns", "add", probe)
    if made.returncode != 0:
        return f"`ip netns add` failed here: {made.stderr.strip()}"
    _run("ip", "netns", "del", probe)
    return None


def _sweep_orphans() -> None:
    """Namespaces left by an earlier run of this module whose process is gone (killed -9)."""
    listed = _run("ip", "netns", "list").stdout
    for name in re.findall(rf"^({PREFIX}-(\d+)-\S+)", listed, re.MULTILINE):
        full, pid = name
        if not Path(f"/proc/{pid}").exists():
            _run("ip", "netns", "del", full)


@dataclass
class Hosts:
    names: tuple[str, ...]
    token: str = field(default_factory=lambda: secrets.token_hex(3))
    net: int = field(default_factory=lambda: 1 + secrets.randbelow(250))
    processes: list[subprocess.Popen] = field(default_factory=list)
    grace: float = 60  # seconds a process may take to stop on TERM before it is killed

    def namespace(self, host: str) -> str:
        return f"{PREFIX}-{os.getpid()}-{self.token}-{host}"

    def address(self, host: str) -> str:
        return SUBNET.format(net=self.net, host=self.names.index(host) + 1)

    def ip(self, host: str, *args: str) -> None:
        result = _run("ip", "-n", self.namespace(host), *args)
        if result.returncode != 0:
            raise RuntimeError(f"ip -n {self.namespace(host)} {' '.join(args)}: {result.stderr}")

    def create(self) -> None:
        hub, *others = self.names
        for host in self.names:
            result = _run("ip", "netns", "add", self.namespace(host))
            if result.returncode != 0:
                raise RuntimeError(f"ip netns add: {result.stderr}")
            self.ip(host, "link", "set", "lo", "up")
        self.ip(hub, "link", "add", "br0", "type", "bridge")
        self.ip(hub, "addr", "add", f"{self.address(hub)}/24", "dev", "br0")
        self.ip(hub, "link", "set", "br0", "up")
        for index, host in enumerate(others, start=1):
            port = f"v{index}"  # inside the hub; the host's end is its eth0
            result = _run(
                "ip", "link", "add", port, "netns", self.namespace(hub), "type", "veth",
                "peer", "name", "eth0", "netns", self.namespace(host),
            )  # fmt: skip
            if result.returncode != 0:
                raise RuntimeError(f"ip link add veth: {result.stderr}")
            self.ip(hub, "link", "set", port, "master", "br0")
            self.ip(hub, "link", "set", port, "up")
            self.ip(host, "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
            self.ip(host, "link", "set", "eth0", "up")

    def command(
        self, host: str, args: Sequence[str], binds: dict[Path, Path] | None = None
    ) -> list[str]:
        """`args` run on `host`: in its namespace, named `host`, with `binds` (source ->
        target) mounted over the shared file system for it alone."""
        script = 'hostname "$0"'
        for source, target in (binds or {}).items():
            script += f" && mount --bind '{source}' '{target}'"
        script += ' && exec "$@"'
        return [
            "ip", "netns", "exec", self.namespace(host),
            "unshare", "--uts", "--mount", "--propagation", "private",
            "sh", "-c", script, host, *args,
        ]  # fmt: skip

    def spawn(
        self,
        host: str,
        args: Sequence[str],
        log: Path,
        env: dict[str, str] | None = None,
        binds: dict[Path, Path] | None = None,
    ) -> subprocess.Popen:
        with open(log, "ab") as out:
            process = subprocess.Popen(
                self.command(host, args, binds), stdout=out, stderr=subprocess.STDOUT,
                env=env, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def run(
        self,
        host: str,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(host, args), capture_output=True, text=True,
                              env=env, timeout=timeout)  # fmt: skip

    def stop(self, process: subprocess.Popen) -> None:
        """TERM to the process itself (supervisord stops its programs gracefully), then
        KILL to its whole session, so nothing it started outlives the test."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.grace)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def destroy(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)
        for host in self.names:
            # supervisord puts each program in its own process group: whatever is still
            # alive in the namespace (after a failed graceful stop) is killed by its pid.
            listed = _run("ip", "netns", "pids", self.namespace(host)).stdout.split()
            for pid in listed:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "del", self.namespace(host))


@contextmanager
def hosts(*names: str) -> Iterator[Hosts]:
    _sweep_orphans()
    made = Hosts(tuple(names))
    try:
        made.create()
        yield made
    finally:
        made.destroy()
