"""`polictl schedules`: each schedule, its task and queue, in words, and when it fires next."""

from __future__ import annotations

import json

import click


def schedule_rows(platform, count: int) -> list[dict]:
    return [
        {
            "name": s.name,
            "task": s.task,
            "queue": s.queue,
            "expression": s.cron if s.cron else f"every {int(s.every)}s",
            "description": s.describe(),
            "timezone": s.timezone,
            "enabled": s.enabled,
            "catchup": s.catchup,
            "next": [t.isoformat() for t in s.next_runs(count)],
        }
        for s in platform.schedules
    ]


def format_rows(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        lines.append(f"{row['name']}  [{state}]  {row['task']} -> queue {row['queue']}")
        lines.append(f"  {row['expression']} ({row['timezone']}): {row['description']}")
        lines.extend(f"  next: {when}" for when in row["next"])
    return "\n".join(lines)


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
    rows = schedule_rows(obj.platform(), count)
    click.echo(json.dumps(rows, indent=2) if fmt == "json" else format_rows(rows))
