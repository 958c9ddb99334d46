"""Printing reports as tables: rich on a terminal, plain aligned text otherwise."""

from __future__ import annotations

import sys

from rich import box
from rich.console import Console
from rich.table import Table

from polictl.stack.probe import ProbeResult
from polictl.stack.status import StatusReport

STATE_STYLES = {"RUNNING": "green", "STARTING": "yellow", "BACKOFF": "red", "FATAL": "red"}


def console() -> Console:
    if sys.stdout.isatty():
        return Console()
    return Console(width=160, no_color=True, highlight=False, soft_wrap=True)


def _table(con: Console, title: str, *columns: str) -> Table:
    style = box.SIMPLE if con.is_terminal else None
    table = Table(title=title, title_justify="left", box=style, pad_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def print_status(report: StatusReport, con: Console | None = None) -> None:
    con = con or console()
    programs = _table(con, "Programs", "PROGRAM", "STATE", "PID", "DETAIL")
    for p in report.programs:
        state = f"[{STATE_STYLES.get(p.state, 'red')}]{p.state}[/]"
        programs.add_row(p.full_name, state, str(p.pid or "-"), p.description)
    if not report.supervisord:
        programs.add_row("supervisord", "[red]NOT RUNNING[/]", "-", "start it: polictl up")
    con.print(programs)
    reach = (
        "[green]reachable[/]" if not report.broker_problem else f"[red]{report.broker_problem}[/]"
    )
    con.print(f"Broker  {report.broker_url}  {reach}")
    for message in report.ignored_env:
        con.print(f"[yellow]warning:[/] {message}")
    con.print()
    queues = _table(con, "Queues", "QUEUE", "WAITING", "CONSUMERS", "WORKER GROUPS")
    for q in report.queues:
        consumers = ", ".join(q.consumers) or "[yellow]none[/]"
        depth = "-" if q.depth is None else str(q.depth)
        queues.add_row(q.name, depth, consumers, ", ".join(q.groups) or "[yellow]none declared[/]")
    con.print(queues)
    schedules = _table(con, "Schedules", "SCHEDULE", "TASK", "QUEUE", "NEXT RUN")
    for s in report.schedules:
        when = s.next_run.isoformat() if s.next_run else "[dim]disabled[/]"
        schedules.add_row(s.name, s.task, s.queue, when)
    con.print(schedules)
    for problem in report.problems:
        con.print(f"[red]problem:[/] {problem}")
    if not report.problems:
        con.print("[green]everything declared is running[/]")


def print_ping(results: list[ProbeResult], con: Console | None = None) -> None:
    con = con or console()
    table = _table(con, "Ping (system.ping through every queue)", "QUEUE", "RESULT", "CONSUMERS")
    for r in results:
        outcome = f"[green]ok {r.latency * 1000:.0f} ms[/]" if r.ok else f"[red]{r.problem}[/]"
        table.add_row(r.queue, outcome, ", ".join(r.consumers) or "-")
    con.print(table)
    failed = [r.queue for r in results if not r.ok]
    if failed:
        con.print(f"[red]failed:[/] {', '.join(failed)}")
