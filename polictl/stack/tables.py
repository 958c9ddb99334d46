"""Printing reports as tables: rich on a terminal, plain aligned text otherwise."""

from __future__ import annotations

import sys

from rich import box
from rich.console import Console
from rich.table import Table

from polictl.broker.probe import ProbeResult
from polictl.stack.status import QueueRow, StatusReport

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
    columns = ["QUEUE", "WAITING", "CONSUMERS", "WORKER GROUPS"]
    queues = _table(con, "Queues", *columns, *(["HOSTS"] if report.by_host else []))
    for q in report.queues:
        consumers = ", ".join(q.consumers) or "[yellow]none[/]"
        depth = "-" if q.depth is None else str(q.depth)
        groups = ", ".join(q.groups) or "[yellow]none declared[/]"
        row = [
            q.name if q.routed else f"{q.name} [dim](from code only)[/]",
            depth,
            consumers,
            groups,
        ]
        queues.add_row(*row, *([_hosts_cell(q)] if report.by_host else []))
    con.print(queues)
    last = ("LAST RUN", "EXPIRED") if report.beat else ()
    schedules = _table(con, "Schedules", "SCHEDULE", "TASK", "QUEUE", *last, "NEXT RUN")
    for s in report.schedules:
        when = s.next_run.isoformat() if s.next_run else "[dim]disabled[/]"
        if s.paused:
            when = f"[yellow]{s.paused}[/]"
        ran = (s.last_run or "-", str(s.expired)) if report.beat else ()
        schedules.add_row(s.name, s.task, s.queue, *ran, when)
    con.print(schedules)
    for line in report.beat.lines() if report.beat else []:
        con.print(line, markup=False)
    print_dead_letters(report, con)
    for problem in report.problems:
        con.print(f"[red]problem:[/] {problem}")
    if not report.problems:
        con.print("[green]everything declared is running[/]")


def print_dead_letters(report: StatusReport, con: Console) -> None:
    if not report.dead_letters:
        return
    table = _table(con, "Dead letters (polictl dead list)", "TASK", "FAILED FOR GOOD")
    for task, count in report.dead_letters:
        table.add_row(task, f"[red]{count}[/]")
    con.print(table)


def _hosts_cell(q: QueueRow) -> str:
    """The hosts consuming the queue now, and the declared ones that do not."""
    cell = ", ".join(q.hosts) or "[yellow]none[/]"
    return cell + (f" [red](missing: {', '.join(q.missing_hosts)})[/]" if q.missing_hosts else "")


def print_ping(
    results: list[ProbeResult], con: Console | None = None, by_host: bool = False
) -> None:
    """`by_host`: also which hosts consume each queue, and which one answered the probe."""
    con = con or console()
    columns = ["QUEUE", "RESULT", *(["HOSTS"] if by_host else []), "CONSUMERS"]
    table = _table(con, "Ping (system.ping through every queue)", *columns)
    for r in results:
        outcome = f"[green]ok {r.latency * 1000:.0f} ms[/]" if r.ok else f"[red]{r.problem}[/]"
        if by_host and r.ok and r.answered_by:
            outcome = f"[green]ok {r.latency * 1000:.0f} ms from {r.answered_by}[/]"
        hosts = [", ".join(r.hosts) or "-"] if by_host else []
        table.add_row(r.queue, outcome, *hosts, ", ".join(r.consumers) or "-")
    con.print(table)
    failed = [r.queue for r in results if not r.ok]
    if failed:
        con.print(f"[red]failed:[/] {', '.join(failed)}")
