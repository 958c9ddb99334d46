"""polictl commands for the local stack: up, down, restart, status, ping, logs, run.

Each command parses its options and hands off to the small modules beside it.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from pathlib import Path
from typing import Any

import click

from engine.diagnostics import UserError
from engine.model import Platform
from polictl.stack import supervisor as sup
from polictl.stack.layout import Layout

# When the config no longer loads, `down` still waits this long for running tasks.
UNKNOWN_STOP_GRACE = 3600


def _unknown(kind: str, name: str, known: list[str]) -> UserError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known) or 'none'}"
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
    local = sup.local_platform(platform, layout, chosen.groups, chosen.flower)
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
    if platform.deploy.flower.enabled:
        flower = platform.deploy.flower
        click.echo(f"  flower:  http://{flower.address}:{flower.port}/")
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
    return max((platform.stop_timeout(w) for w in platform.workers), default=30) + 30


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
            raise _unknown("program", name, known)
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
def status(obj: Any) -> None:
    """Programs, broker, queue depths and consumers, next schedule runs; exit 1 on a problem."""
    from polictl.stack.status import collect
    from polictl.stack.tables import print_status

    report = collect(obj.platform(), Layout.of(obj.config_dir))
    print_status(report)
    raise SystemExit(1 if report.problems else 0)


@click.command()
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for replies.")
@click.pass_obj
def ping(obj: Any, timeout: float) -> None:
    """Send system.ping through every queue; fail naming each queue that does not answer."""
    from polictl.stack.broker import celery_app, unreachable
    from polictl.stack.probe import ping as probe
    from polictl.stack.tables import print_ping

    platform = obj.platform()
    app = celery_app(platform)
    problem = unreachable(app)
    if problem:
        raise UserError(f"broker unreachable: {problem}", hint="polictl status; polictl up")
    _need_results(app, "ping")
    results = probe(app, platform, timeout)
    print_ping(results, by_host=bool(platform.hosts))
    raise SystemExit(0 if all(r.ok for r in results) else 1)


def _need_results(app: Any, command: str) -> None:
    if not app.conf.result_backend:
        raise UserError(
            f"{command} needs a result backend, and broker.result_backend is `none`",
            hint="set it to `broker` or a URL (queues.yaml reads it from POLI_RESULT_BACKEND)",
        )


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
        raise _unknown("log", name, sorted(files))
    if not files[name].exists():
        raise UserError(f"no log yet at {files[name]}", hint="is it running? polictl status")
    show(files[name], lines, follow)


@click.command()
@click.argument("task_name")
@click.option("--args", "args_json", default="[]", help="Positional arguments, a JSON array.")
@click.option("--kwargs", "kwargs_json", default="{}", help="Keyword arguments, a JSON object.")
@click.option("--wait", is_flag=True, help="Wait for the result and print it.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds --wait waits.")
@click.option("--local", is_flag=True, help="Run it in this process (eager), no broker.")
@click.pass_obj
def run(
    obj: Any,
    task_name: str,
    args_json: str,
    kwargs_json: str,
    wait: bool,
    timeout: float,
    local: bool,
) -> None:
    """Send TASK_NAME through its route; with --wait, print its result. Arguments that do not
    fit the handler's signature and type hints are refused before anything is sent."""
    from polictl.stack.broker import celery_app
    from polictl.stack.probe import declared_task, send
    from polictl.task_inputs import check_arguments, parse_arguments

    args, kwargs = parse_arguments(args_json, kwargs_json)
    platform = obj.platform()
    task = declared_task(platform, task_name)
    check_arguments(task, args, kwargs)
    if local:
        from polictl.local_run import run_local

        return run_local(platform, task, args, kwargs)
    app = celery_app(platform)
    if wait:
        _need_results(app, "run --wait")
    result = send(app, task, args, kwargs)
    click.echo(f"sent {task.name} to queue {task.queue}: id {result.id}")
    if wait:
        _print_result(result, task.queue, timeout)


def _print_result(result: Any, queue: str, timeout: float) -> None:
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        value = result.get(timeout=timeout, propagate=False)
    except CeleryTimeout:
        raise UserError(
            f"no result within {timeout:g}s", hint=f"is a worker consuming {queue!r}? polictl ping"
        ) from None
    if result.failed():
        raise UserError(f"{result.state}: {value!r}", hint="polictl logs for the traceback")
    click.echo(json.dumps(value, default=str, indent=2))
