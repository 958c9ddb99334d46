"""`polictl purge QUEUE | --all`: delete the messages waiting in one queue or in all (asks first)."""

from __future__ import annotations

from typing import Any

import click

from engine.diagnostics import UserError
from polictl.stack.commands import unknown


@click.command()
@click.argument("queue", required=False)
@click.option("--all", "every", is_flag=True, help="Every declared queue.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask first.")
@click.pass_obj
def purge(obj: Any, queue: str | None, every: bool, yes: bool) -> None:
    """Delete every message waiting in QUEUE, or in every queue with --all (tasks already
    running are not affected)."""
    from polictl.broker import session as broker

    platform = obj.platform()
    known = [q.name for q in platform.queues]
    if every == bool(queue):
        raise UserError(
            "name a QUEUE or give --all", hint=f"queues: {', '.join(known)}", exit_code=2
        )
    if queue and queue not in known:
        raise unknown("queue", queue, known)
    queues = known if every else [queue]
    if not yes:
        what = f"all {len(queues)} queues ({', '.join(queues)})" if every else repr(queue)
        click.confirm(f"Delete every message waiting in {what}?", abort=True)
    with broker.session(platform) as app:
        for name in queues:
            click.echo(f"purged {broker.purge(app, name)} message(s) from {name}")
