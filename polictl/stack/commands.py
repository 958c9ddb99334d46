"""polictl commands for the local stack: up, down, restart, status, ping, logs, purge, run.

Each command parses its options and hands off to the small modules beside it.
"""

from __future__ import annotations

import difflib
import json
import re
import time
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
@click.argument("groups", nargs=-1)
@click.option("--flower", is_flag=True, help="Also run Flower, the web monitor.")
@click.option("-d", "--detach", is_flag=True, help="Run in the background; `polictl down` stops.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds --detach waits.")
@click.pass_obj
def up(obj: Any, groups: tuple[str, ...], flower: bool, detach: bool, timeout: float) -> None:
    """Run the stack (all worker groups, or GROUP...; beat; the embedded broker) under supervisord.

    In the foreground by default: Ctrl-C stops it, letting running tasks finish.
    """
    platform = obj.platform()
    known = [w.name for w in platform.workers]
    for name in groups:
        if name not in known:
            raise _unknown("worker group", name, known)
    layout = Layout.of(obj.config_dir)
    if sup.Supervisor(layout).alive():
        raise UserError("the stack is already running", hint="polictl status, or polictl down")
    local = sup.local_platform(platform, layout, groups, flower)
    sup.write_config(local, layout)
    _where_to_look(local, layout, detach)
    if not detach:
        sup.exec_foreground(layout)
    sup.start_detached(layout)
    _wait_running(layout, timeout)


def _where_to_look(platform: Platform, layout: Layout, detach: bool) -> None:
    broker = "embedded Redis in " + str(layout.data / "redis")
    click.echo(f"poli: {len(platform.workers)} worker group(s), beat; broker: ", nl=False)
    click.echo(broker if platform.broker.embedded else "the configured URL")
    click.echo(f"  logs:    {layout.logs}  (polictl logs NAME -f)")
    if platform.deploy.flower.enabled:
        flower = platform.deploy.flower
        click.echo(f"  flower:  http://{flower.address}:{flower.port}/")
    click.echo("  status:  polictl status   probe: polictl ping")
    click.echo("  stop:    polictl down" if detach else "  stop:    Ctrl-C (running tasks finish)")


def _wait_running(layout: Layout, timeout: float) -> None:
    client = sup.Supervisor(layout)
    if not client.wait_alive(min(timeout, 30)):
        raise UserError("supervisord did not answer", hint=f"see {layout.supervisord_log}")
    deadline = time.monotonic() + timeout
    while True:
        programs = client.programs()
        if all(p.running for p in programs):
            click.echo(f"started: {', '.join(p.name for p in programs)}")
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
    print_ping(results)
    raise SystemExit(0 if all(r.ok for r in results) else 1)


def _need_results(app: Any, command: str) -> None:
    if not app.conf.result_backend:
        raise UserError(
            f"{command} needs a result backend to hear back from the workers",
            hint="set broker.result_backend in queues.yaml (or POLI_RESULT_BACKEND)",
        )


def log_files(platform: Platform, layout: Layout) -> dict[str, Any]:
    names = {f"worker_{w.name}": f"celery_worker_{w.name}.log" for w in platform.workers}
    names |= {"beat": "celery_beat.log", "flower": "celery_flower.log"}
    names |= {"redis": "redis.log", "supervisord": "supervisord.log"}
    return {name: layout.logs / file for name, file in names.items()}


@click.command()
@click.argument("name")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("-n", "--lines", default=50, show_default=True, help="Lines to show first.")
@click.pass_obj
def logs(obj: Any, name: str, follow: bool, lines: int) -> None:
    """Show a program's log: worker_GROUP, beat, flower, redis or supervisord."""
    from polictl.stack.logs import show

    files = log_files(obj.platform(), Layout.of(obj.config_dir))
    if name not in files and f"worker_{name}" in files:
        name = f"worker_{name}"
    if name not in files:
        raise _unknown("log", name, sorted(files))
    if not files[name].exists():
        raise UserError(f"no log yet at {files[name]}", hint="is it running? polictl status")
    show(files[name], lines, follow)


@click.command()
@click.argument("queue")
@click.option("-y", "--yes", is_flag=True, help="Do not ask first.")
@click.pass_obj
def purge(obj: Any, queue: str, yes: bool) -> None:
    """Delete every message waiting in QUEUE (tasks already running are not affected)."""
    from polictl.stack import broker

    platform = obj.platform()
    known = [q.name for q in platform.queues]
    if queue not in known:
        raise _unknown("queue", queue, known)
    if not yes:
        click.confirm(f"Delete every message waiting in {queue!r}?", abort=True)
    removed = broker.purge(broker.celery_app(platform), queue)
    click.echo(f"purged {removed} message(s) from {queue}")


@click.command()
@click.argument("task_name")
@click.option("--args", "args_json", default="[]", help="Positional arguments, a JSON array.")
@click.option("--kwargs", "kwargs_json", default="{}", help="Keyword arguments, a JSON object.")
@click.option("--wait", is_flag=True, help="Wait for the result and print it.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds --wait waits.")
@click.option("--many", type=click.File(encoding="utf-8"), help="Calls, a JSON line each.")
@click.pass_obj
def run(obj: Any, task_name: str, args_json: str, kwargs_json: str, wait: bool, timeout: float, many: Any) -> None:  # fmt: skip
    """Send TASK_NAME through its route; with --wait, print its result."""
    from polictl.stack.broker import celery_app
    from polictl.stack.many import json_argument, run_many
    from polictl.stack.probe import declared_task, send

    platform = obj.platform()
    task = declared_task(platform, task_name)
    if many is not None:
        return run_many(celery_app, platform, task, many, wait)
    args = json_argument("--args", args_json, list)
    kwargs = json_argument("--kwargs", kwargs_json, dict)
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
