"""`polictl schedules`: each schedule, its task and queue, in words, and when it fires next;
for a running deployment also its last run and who runs it (polictl.beat_report)."""

from __future__ import annotations

import json
from datetime import datetime

import click

from engine.durations import format_duration
from polictl.beat_report import BeatReport, collect_beat


def schedule_rows(platform, count: int, beat: BeatReport | None = None) -> list[dict]:
    rows = [
        {
            "name": s.name,
            "task": s.task,
            "queue": s.queue,
            "expression": s.cron if s.cron else f"every {format_duration(s.every)}",
            "description": s.describe(),
            "timezone": s.timezone,
            "enabled": s.enabled,
            "catchup": s.catchup,
            "jitter_offset": s.jitter_offset,  # seconds every fire time moves; in `next`
            "expires": s.expires,  # seconds; None: its messages never expire
            "next": [t.isoformat() for t in s.next_runs(count)],
        }
        for s in platform.schedules
    ]
    for row in rows if beat else []:
        row["last_run"] = beat.last_run(row["name"])
        row["beat_next"] = beat.next_run(row["name"])
        row["expired"] = beat.expired.get(row["name"], 0)  # runs a worker dropped unstarted
        row["paused"] = beat.paused(row["name"])
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        lines.append(f"{row['name']}  [{state}]  {row['task']} -> queue {row['queue']}")
        shift = f" +{format_duration(row['jitter_offset'])} jitter" if row["jitter_offset"] else ""
        lines.append(f"  {row['expression']} ({row['timezone']}){shift}: {row['description']}")
        if row.get("paused"):
            lines.append(f"  override: {row['paused']} (polictl resume {row['name']})")
        if row.get("last_run"):
            lines.append(f"  last: {row['last_run']}")
        lines.extend(f"  next: {when}" for when in row["next"])
        if row.get("beat_next") and row["next"] and not _same(row["beat_next"], row["next"][0]):
            lines.append(f"  next by the running beat: {row['beat_next']}")
    return "\n".join(lines)


def _same(one: str, other: str) -> bool:
    return datetime.fromisoformat(one) == datetime.fromisoformat(other)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--next",
    "count",
    type=click.IntRange(0, 1000),
    default=3,
    show_default=True,
    help="How many upcoming fire times to show.",
)
@click.pass_obj
def schedules(obj, fmt: str, count: int) -> None:
    """List schedules with their next fire times, in each schedule's time zone."""
    platform = obj.platform()
    beat = collect_beat(platform)
    rows = schedule_rows(platform, count, beat)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo("\n".join([format_rows(rows), *beat.lines()]))
