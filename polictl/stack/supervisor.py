"""The local stack under a real supervisord: its config, starting it, and talking to it.

The programs themselves come from `generators.supervisor` (the same renderer production
uses), rendered for a local deploy; this module only adds supervisord's own sections and,
for the embedded broker, the redis-server program.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import secrets
import shlex
import signal
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from engine.diagnostics import UserError
from engine.model import Platform
from engine.runtime import embedded
from polictl import files as atomic
from polictl.stack.layout import Layout
from polictl.stack.login import web_login

# Set only in supervisord's environment (and so its children's): finds this stack's
# processes, and nothing else, when `down` sweeps up leftovers.
STACK_MARKER = "POLI_STACK"
CONTROL_USER = "poli"


def local_platform(
    platform: Platform,
    layout: Layout,
    groups: tuple[str, ...] | None = None,
    flower: bool = True,
    console: bool = True,
) -> Platform:
    """The platform as the local stack runs it: this user, this venv, paths under the data dir.

    These paths never went through `validate`: refused when supervisord's config cannot
    carry them (see `_unfit`) rather than cut short or read as something else."""
    for path in (layout.config_dir, layout.data, Path(sys.prefix)):
        problem = _unfit(str(path), in_include=path == layout.data)
        if problem:
            raise UserError(
                f"the local stack cannot run from a path with {problem}: {str(path)!r}",
                hint="move the project (or POLI_DATA_DIR) to a plain directory name",
            )
    web = platform.deploy
    deploy = dataclasses.replace(
        platform.deploy,
        user="",
        group="",
        working_directory=str(layout.config_dir),
        virtualenv=sys.prefix,
        log_dir=str(layout.logs),
        state_dir=str(layout.data),
        environment_file=str(layout.environment_file),
        flower=dataclasses.replace(web.flower, enabled=flower),
        console=dataclasses.replace(web.console, enabled=console and web.console.enabled),
    )
    workers = tuple(w for w in platform.workers if groups is None or w.name in groups)
    return dataclasses.replace(platform, deploy=deploy, workers=workers)


def _unfit(path: str, in_include: bool) -> str | None:
    """A control character ends a line of supervisord's config, `;` starts a comment, `%`
    is its expansion (expanded twice in some values), `environment=` cannot escape a quote,
    and whitespace separates the files of `[include]` (the programs live under the data
    dir)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "control characters"
    if any(ch in path for ch in ";%'\""):
        return "`;`, `%` or quotes"
    if in_include and any(ch.isspace() for ch in path):
        return "spaces (as the data dir)"
    return None


def _ini(value: str) -> str:
    """supervisor expands %(name)s in values; a literal % must be doubled."""
    return value.replace("%", "%%")


def control_password(layout: Layout) -> str:
    """The control server's password: made once per data dir, readable by this user only."""
    try:
        return layout.control_password_file.read_text().strip()
    except OSError:
        password = secrets.token_urlsafe(24)
        atomic.write_text(layout.control_password_file, password + "\n", mode=0o600)
        return password


def control_sections(layout: Layout) -> str:
    """supervisord's control server (a unix socket only this user can open, else loopback),
    behind a password either way, and supervisorctl's URL."""
    auth = f"username={CONTROL_USER}\npassword={_ini(control_password(layout))}\n"
    if layout.uses_socket:
        server = f"[unix_http_server]\nfile={_ini(str(layout.socket))}\nchmod=0700\n{auth}"
        url = f"unix://{layout.socket}"
    else:
        port = embedded.free_port()
        atomic.write_text(layout.port_file, f"{port}\n", mode=0o600)
        server = f"[inet_http_server]\nport=127.0.0.1:{port}\n{auth}"
        url = f"http://127.0.0.1:{port}"
    return f"{server}\n[supervisorctl]\nserverurl={_ini(url)}\n{auth}"


def _run_as() -> str:
    """supervisord warns (CRIT) when root runs it without naming root; name who runs it."""
    return f"user={pwd.getpwuid(os.getuid()).pw_name}\n" if os.getuid() == 0 else ""


def supervisord_conf(layout: Layout, program_files: list[Path]) -> str:
    includes = " ".join(_ini(str(path)) for path in program_files)
    # silent: in the foreground supervisord's own lines go to its log only; polictl speaks.
    return f"""; Written by `polictl up`: the local stack, regenerated on every start.
{control_sections(layout)}
[supervisord]
logfile={_ini(str(layout.supervisord_log))}
pidfile={_ini(str(layout.pidfile))}
childlogdir={_ini(str(layout.logs))}
directory={_ini(str(layout.config_dir))}
identifier=poli
silent=true
umask=027
{_run_as()}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[include]
files = {includes}
"""


def write_config(platform: Platform, layout: Layout, beat: bool = True) -> Path:
    """Render the programs for `platform` (already local) and write supervisord.conf."""
    from generators.supervisor import EmbeddedRedis, render_supervisor

    # Every file under the data dir (messages, results, logs, the database) is this
    # user's alone: the dir 0700, and supervisord's programs create files 0640 (umask).
    layout.data.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.data.chmod(0o700)
    for directory in (layout.logs, layout.supervisor_dir, layout.programs_dir):
        directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    layout.supervisord_log.touch(mode=0o640)  # supervisord opens it before its umask applies
    layout.supervisord_log.chmod(0o640)
    environment = layout.environment()
    if platform.deploy.flower.enabled or platform.deploy.console.enabled:
        environment |= web_login(layout).environment()  # the file is 0600
    env = "".join(f"{key}={shlex.quote(value)}\n" for key, value in environment.items())
    atomic.write_text(layout.environment_file, env, mode=0o600)
    redis = None
    if platform.broker.embedded:
        redis = EmbeddedRedis(embedded.redis_binary(), embedded.prepare(layout.config_dir))
    for old in layout.programs_dir.glob("*.conf"):
        old.unlink()
    programs = render_supervisor(platform, redis, beat=beat)
    written = atomic.write_tree(layout.programs_dir, programs, mode=0o640)
    atomic.write_text(layout.supervisord_conf, supervisord_conf(layout, written), mode=0o600)
    return layout.supervisord_conf


def supervisord_args(layout: Layout, foreground: bool) -> list[str]:
    args = [sys.executable, "-m", "supervisor.supervisord", "-c", str(layout.supervisord_conf)]
    return [*args, "--nodaemon"] if foreground else args


def supervisord_env(layout: Layout) -> dict[str, str]:
    return {**os.environ, **layout.environment(), STACK_MARKER: str(layout.data)}


def start_foreground(layout: Layout) -> subprocess.Popen:
    """supervisord as a child in the foreground (`run_foreground` waits for it)."""
    return subprocess.Popen(supervisord_args(layout, foreground=True), env=supervisord_env(layout))


def wait_foreground(process: subprocess.Popen) -> int:
    """Wait for supervisord, passing it Ctrl-C and SIGTERM: it stops the programs gracefully
    (each within its stopwaitsecs) before exiting. A terminal's Ctrl-C reaches both of us;
    a repeated SIGINT only restates supervisord's shutdown."""

    def forward(signum: int, _frame: object) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            return process.wait()
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue


def start_detached(layout: Layout) -> None:
    """Start supervisord in the background (it daemonizes itself once its config is good)."""
    result = subprocess.run(
        supervisord_args(layout, foreground=False),
        env=supervisord_env(layout),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise UserError(
            f"supervisord did not start: {(result.stderr or result.stdout).strip()}",
            hint=f"see {layout.supervisord_log}",
        )


@dataclass(frozen=True)
class Program:
    """One supervised process as supervisord reports it."""

    group: str
    name: str
    state: str  # RUNNING, STARTING, BACKOFF, STOPPED, EXITED, FATAL, ...
    pid: int
    description: str

    @property
    def full_name(self) -> str:
        return self.name if self.group == self.name else f"{self.group}:{self.name}"

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"


class Supervisor:
    """supervisord's XML-RPC interface over its control socket."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.proxy = self._connect()

    def _connect(self) -> xmlrpc.client.ServerProxy:
        from supervisor.xmlrpc import SupervisorTransport

        url = f"unix://{self.layout.socket}" if self.layout.uses_socket else self._http_url()
        password = self._password()
        transport = SupervisorTransport(CONTROL_USER if password else None, password, url)
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def _password(self) -> str | None:
        try:
            return self.layout.control_password_file.read_text().strip()
        except OSError:
            return None

    def _http_url(self) -> str:
        try:
            return f"http://127.0.0.1:{int(self.layout.port_file.read_text())}"
        except (OSError, ValueError):
            return "http://127.0.0.1:1"  # nothing recorded: nothing listening

    def alive(self) -> bool:
        try:
            return self.proxy.supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError, HTTPException):
            self.proxy = self._connect()  # a failed request leaves the connection unusable
            return False

    def pid(self) -> int:
        return int(self.proxy.supervisor.getPID())

    def programs(self) -> list[Program]:
        return [
            Program(p["group"], p["name"], p["statename"], p["pid"], p["description"])
            for p in self.proxy.supervisor.getAllProcessInfo()
        ]

    def stop(self, program: Program) -> None:
        try:
            self.proxy.supervisor.stopProcess(program.full_name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise

    def start(self, program: Program) -> None:
        self.proxy.supervisor.startProcess(program.full_name, True)

    def shutdown(self) -> None:
        self.proxy.supervisor.shutdown()

    def wait_alive(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive():
                return True
            time.sleep(0.1)
        return False
