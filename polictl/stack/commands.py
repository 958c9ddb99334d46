"""polictl commands that run the local stack: up, down, restart, status, logs.

Each command parses its options and hands off to the small modules beside it; the
commands that send work through the broker are in `queue_commands` (ping, run) and
`purge`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import click

from engine.diagnostics import UserError, did_you_mean
from engine.model import Platform
from polictl.stack import supervisor as sup
from polictl.stack.layout import Layout
from polictl.stack.login import web_login

# When the config no longer loads, `down` still waits this long for running tasks.
UNKNOWN_STOP_GRACE = 3600
# What supervisord itself may take beyond the workers' stop timeouts.
SUPERVISORD_STOP_MARGIN = 30


def unknown(kind: str, name: str, known: list[str]) -> UserError:
    hint = did_you_mean(name, known) or f"known: {', '.join(known) or 'none'}"
    return UserError(f"unknown {kind} {name!r}", hint=hint)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--flower", is_flag=True, help="Also run Flower, the web monitor.")
@click.option("-d", "--detach", is_flag=True, help="Run in the background; `polictl down` stops.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds --detach waits.")
@click.pass_obj
def up(obj: Any, names: tuple[str, ...], flower: bool, detach: bool, timeout: float) -> None:
    """Run the stack under supervisord: every worker group and beat, or only NAME... (worker
    groups, `beat`, `flower`); the embedded broker always.

    In the foreground by default: Ctrl-C stops it, letting running tasks finish.
    """
    from polictl.stack.choice import choose

    platform = obj.platform()
    chosen = choose(platform, names, flower)
    layout = Layout.of(obj.config_dir)
    if sup.Supervisor(layout).alive():
        raise UserError("the stack is already running", hint="polictl status, or polictl down")
    local = sup.local_platform(platform, layout, chosen.groups, chosen.flower, chosen.console)
    sup.write_config(local, layout, beat=chosen.beat)
    _where_to_look(local, layout, detach, chosen.describe())
    if detach:
        sup.start_detached(layout)
        _wait_running(layout, timeout)
        return
    _foreground(layout, timeout)


def _where_to_look(platform: Platform, layout: Layout, detach: bool, running: str) -> None:
    broker = "embedded Redis in " + str(layout.data / "redis")
    click.echo(f"poli: {running}; broker: ", nl=False)
    click.echo(broker if platform.broker.embedded else "the configured URL")
    click.echo(f"  logs:    {layout.logs}  (polictl logs NAME -f; supervisord.log there too)")
    flower, console = platform.deploy.flower, platform.deploy.console
    web = [("flower", f"http://{flower.address}:{flower.port}/")] if flower.enabled else []
    web += [("console", console.url)] if console.enabled else []
    for name, url in web:
        click.echo(f"  {name + ':':8} {url}")
    if web:  # one operator login for both
        login = web_login(layout)
        click.echo(f"           login {login.user}, password in {login.source}")
    click.echo("  status:  polictl status   probe: polictl ping")
    click.echo("  stop:    polictl down" if detach else "  stop:    Ctrl-C (running tasks finish)")


def _foreground(layout: Layout, timeout: float) -> None:
    """supervisord runs as our child; we say what started and, at the end, that it stopped."""
    process = sup.start_foreground(layout)
    try:
        _wait_running(layout, timeout)
    except UserError as problem:  # keep running what did start; the user sees why
        click.echo(f"warning: {problem.message} ({problem.hint})", err=True)
    except BaseException:  # a bug of ours must not orphan the stack
        process.terminate()
        process.wait(timeout)
        raise
    code = sup.wait_foreground(process)
    click.echo("stopped" if code == 0 else f"supervisord exited with status {code}")
    if code != 0:
        raise UserError(
            f"supervisord exited with status {code}", hint=f"see {layout.supervisord_log}"
        )


def _wait_running(layout: Layout, timeout: float) -> None:
    client = sup.Supervisor(layout)
    if not client.wait_alive(min(timeout, 30)):
        raise UserError("supervisord did not answer", hint=f"see {layout.supervisord_log}")
    deadline = time.monotonic() + timeout
    while True:
        programs = client.programs()
        if all(p.running for p in programs):
            click.echo(f"started: {', '.join(p.full_name for p in programs)}")
            return
        fatal = [p for p in programs if p.state == "FATAL"]
        if fatal or time.monotonic() > deadline:
            bad = ", ".join(f"{p.name} {p.state}" for p in programs if not p.running)
            raise UserError(f"not running: {bad}", hint="polictl logs NAME; polictl down")
        time.sleep(0.25)


@click.command()
@click.pass_obj
def down(obj: Any) -> None:
    """Stop the stack: workers finish their running tasks, then the broker stops."""
    from polictl.stack import processes

    layout = Layout.of(obj.config_dir)
    client = sup.Supervisor(layout)
    if client.alive():
        grace = _stop_grace(obj)
        pid = client.pid()
        click.echo(f"stopping (running tasks may take up to {grace}s to finish)...")
        client.shutdown()
        _wait_gone(pid, grace)
    else:
        click.echo("the stack is not running")
    leftovers = processes.stack_pids(layout.data)
    if leftovers:
        killed = processes.end(leftovers)
        click.echo(f"ended {len(leftovers)} leftover process(es) ({len(killed)} killed)")
    click.echo("stopped")


def _stop_grace(obj: Any) -> int:
    """How long supervisord may take to stop: the longest worker stop timeout, plus a margin.
    A config broken since `up` must not keep the user from stopping the stack."""
    platform = obj.load().platform
    if platform is None:
        return UNKNOWN_STOP_GRACE
    return platform.longest_stop_timeout + SUPERVISORD_STOP_MARGIN


def _wait_gone(pid: int, timeout: float) -> None:
    from polictl.stack import processes

    deadline = time.monotonic() + timeout
    while processes._alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def select_programs(programs: list[sup.Program], names: tuple[str, ...]) -> list[sup.Program]:
    """Programs for NAME: `default` or `worker_default` (every replica of the worker group),
    `beat`, `flower`, `redis`, or one process as supervisord names it (`worker-default_01`)."""
    chosen = []
    for name in names:
        matches = [p for p in programs if name in program_aliases(p.name)]
        if not matches:
            known = sorted({min(program_aliases(p.name), key=len) for p in programs})
            raise unknown("program", name, known)
        chosen += matches
    return chosen


def program_aliases(process_name: str) -> set[str]:
    program = re.sub(r"_\d+$", "", process_name)  # replicas: worker-default_01, _02, ...
    aliases = {process_name, program, program.replace("-", "_")}
    if program.startswith("worker-"):
        aliases.add(program.removeprefix("worker-"))
    return aliases


@click.command()
@click.argument("names", nargs=-1)
@click.pass_obj
def restart(obj: Any, names: tuple[str, ...]) -> None:
    """Restart worker groups or programs (NAME: `default`, `worker_default`, `beat`, ...); all
    of them when none is named."""
    client = sup.Supervisor(Layout.of(obj.config_dir))
    if not client.alive():
        raise UserError("the stack is not running", hint="polictl up")
    programs = client.programs()
    chosen = select_programs(programs, names) if names else programs
    for program in chosen:
        click.echo(f"restarting {program.name}...")
        client.stop(program)
        client.start(program)
    click.echo("restarted")


@click.command()
@click.pass_obj
def status(obj: Any) -> int:
    """Programs, broker, queue depths and consumers, next schedule runs; exit 1 on a problem."""
    from polictl.stack.status import collect
    from polictl.stack.tables import print_status

    report = collect(obj.platform(), Layout.of(obj.config_dir))
    print_status(report)
    return 1 if report.problems else 0


def log_files(platform: Platform, layout: Layout) -> dict[str, Path]:
    """The stack's logs by name: what the supervisor renderer names them, and supervisord's."""
    from generators.supervisor import log_files as rendered

    local = sup.local_platform(platform, layout)
    files = {name: Path(path) for name, path in rendered(local).items()}
    return files | {"supervisord": layout.supervisord_log}


@click.command()
@click.argument("name")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("-n", "--lines", default=50, show_default=True, help="Lines to show first.")
@click.pass_obj
def logs(obj: Any, name: str, follow: bool, lines: int) -> None:
    """Show a program's log: worker_GROUP (worker_GROUP_01... with replicas), beat, flower,
    redis or supervisord."""
    from polictl.stack.logs import show

    files = log_files(obj.platform(), Layout.of(obj.config_dir))
    if name not in files and f"worker_{name}" in files:
        name = f"worker_{name}"
    replicas = sorted(n for n in files if re.fullmatch(rf"(worker_)?{re.escape(name)}_\d+", n))
    if name not in files and replicas:
        raise UserError(
            f"{name!r} runs {len(replicas)} replicas, each with its own log",
            hint=f"name one: {', '.join(replicas)}",
        )
    if name not in files:
        raise unknown("log", name, sorted(files))
    if not files[name].exists():
        raise UserError(f"no log yet at {files[name]}", hint="is it running? polictl status")
    show(files[name], lines, follow)
