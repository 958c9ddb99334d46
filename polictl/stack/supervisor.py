"""The local stack under a real supervisord: its config, starting it, and talking to it.

The programs themselves come from `generators.supervisor` (the same renderer production
uses), rendered for a local deploy; this module only adds supervisord's own sections and,
for the embedded broker, the redis-server program.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

from engine.diagnostics import UserError
from engine.model import Platform
from engine.runtime import embedded
from polictl import files as atomic
from polictl.stack.layout import Layout

# Set only in supervisord's environment (and so its children's): finds this stack's
# processes, and nothing else, when `down` sweeps up leftovers.
STACK_MARKER = "POLI_STACK"
REDIS_PROGRAM = "redis"
# Lower than any rendered program (supervisor's default is 999): redis starts first
# and, being its own group, stops last, after the workers have acked.
REDIS_PRIORITY = 1


def local_platform(
    platform: Platform, layout: Layout, groups: tuple[str, ...] | None = None, flower: bool = True
) -> Platform:
    """The platform as the local stack runs it: this user, this venv, paths under the data dir."""
    deploy = dataclasses.replace(
        platform.deploy,
        user="",
        group="",
        working_directory=str(layout.config_dir),
        virtualenv=sys.prefix,
        log_dir=str(layout.logs),
        state_dir=str(layout.data),
        environment_file=str(layout.environment_file),
        flower=dataclasses.replace(platform.deploy.flower, enabled=flower),
    )
    workers = tuple(w for w in platform.workers if groups is None or w.name in groups)
    return dataclasses.replace(platform, deploy=deploy, workers=workers)


def _ini(value: str) -> str:
    """supervisor expands %(name)s in values; a literal % must be doubled."""
    return value.replace("%", "%%")


def _command(args: list[str]) -> str:
    return _ini(shlex.join(args))


def redis_section(layout: Layout) -> str:
    args = embedded.redis_program(layout.config_dir)
    return f"""[program:{REDIS_PROGRAM}]
command={_command(args)}
directory={_ini(str(embedded.redis_dir(layout.config_dir)))}
priority={REDIS_PRIORITY}
autostart=true
autorestart=true
startsecs=1
stopsignal=TERM
stopwaitsecs=30
redirect_stderr=true
stdout_logfile={_ini(str(layout.logs / "redis.log"))}
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=3
"""


def control_section(layout: Layout) -> tuple[str, str]:
    """supervisord's control server and supervisorctl's URL: a unix socket, else loopback."""
    if layout.uses_socket:
        server = f"[unix_http_server]\nfile={_ini(str(layout.socket))}\nchmod=0700\n"
        return server, f"unix://{layout.socket}"
    port = embedded.free_port()
    layout.port_file.write_text(f"{port}\n")
    return f"[inet_http_server]\nport=127.0.0.1:{port}\n", f"http://127.0.0.1:{port}"


def supervisord_conf(layout: Layout, program_files: list[Path], redis: str = "") -> str:
    server, url = control_section(layout)
    includes = " ".join(_ini(str(path)) for path in program_files)
    text = f"""; Written by `polictl up`: the local stack, regenerated on every start.
{server}
[supervisord]
logfile={_ini(str(layout.supervisord_log))}
pidfile={_ini(str(layout.pidfile))}
childlogdir={_ini(str(layout.logs))}
directory={_ini(str(layout.config_dir))}
identifier=poli

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl={_ini(url)}

"""
    return text + (redis + "\n" if redis else "") + f"[include]\nfiles = {includes}\n"


def programs_platform(platform: Platform, layout: Layout) -> Platform:
    """What generators.supervisor renders for the local stack: the Celery programs only.

    The embedded broker is our own program instead of the renderer's, outside
    `[group:poli]`: supervisord stops one group at a time, so the broker keeps running
    until every worker has finished its task and acked (inside the group, all get TERM at
    once). To the programs, the broker is simply the URL it listens on.
    """
    if not platform.broker.embedded:
        return platform
    url = embedded.broker_url(layout.config_dir)
    return dataclasses.replace(platform, broker=dataclasses.replace(platform.broker, url=url))


def write_config(platform: Platform, layout: Layout, beat: bool = True) -> Path:
    """Render the programs for `platform` (already local) and write supervisord.conf."""
    from generators.supervisor import render_supervisor

    for directory in (layout.logs, layout.supervisor_dir):
        directory.mkdir(parents=True, exist_ok=True)
    env = "".join(f"{key}={shlex.quote(value)}\n" for key, value in layout.environment().items())
    atomic.write_text(layout.environment_file, env, mode=0o600)
    redis = redis_section(layout) if platform.broker.embedded else ""  # records its port first
    for old in layout.programs_dir.glob("*.conf"):
        old.unlink()
    programs = render_supervisor(programs_platform(platform, layout), beat=beat)
    written = atomic.write_tree(layout.programs_dir, programs)
    atomic.write_text(layout.supervisord_conf, supervisord_conf(layout, written, redis), mode=0o600)
    return layout.supervisord_conf


def supervisord_args(layout: Layout, foreground: bool) -> list[str]:
    args = [sys.executable, "-m", "supervisor.supervisord", "-c", str(layout.supervisord_conf)]
    return [*args, "--nodaemon"] if foreground else args


def supervisord_env(layout: Layout) -> dict[str, str]:
    return {**os.environ, **layout.environment(), STACK_MARKER: str(layout.data)}


def exec_foreground(layout: Layout) -> None:
    """Become supervisord: Ctrl-C and SIGTERM reach it directly, and it stops the
    programs gracefully (each within its stopwaitsecs) before exiting."""
    args = supervisord_args(layout, foreground=True)
    os.execve(args[0], args, supervisord_env(layout))


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
        from supervisor.xmlrpc import SupervisorTransport

        self.layout = layout
        url = f"unix://{layout.socket}" if layout.uses_socket else self._http_url()
        self.proxy = xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, url)
        )

    def _http_url(self) -> str:
        try:
            return f"http://127.0.0.1:{int(self.layout.port_file.read_text())}"
        except (OSError, ValueError):
            return "http://127.0.0.1:1"  # nothing recorded: nothing listening

    def alive(self) -> bool:
        try:
            return self.proxy.supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
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
