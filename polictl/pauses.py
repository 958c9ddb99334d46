"""`polictl pause NAME --for DURATION` and `polictl resume NAME`: an operator's override.

The pause lives in the broker's Redis (engine.runtime.beat.pause) with who, when and until;
it expires by itself, and beat skips the schedule's runs while it lasts. The console's
Pause and Resume buttons call the same two functions.
"""

from __future__ import annotations

import getpass
import os

import click

from engine.diagnostics import UserError
from engine.durations import parse_duration
from engine.model import Platform


def operator() -> str:
    """Who pauses from the command line: the local account (POLI_WEB_USER, else
    `operator`, where there is none). The console records its login instead."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no account name (a container's anonymous uid)
        return os.environ.get("POLI_WEB_USER", "operator")


def _known(platform: Platform, name: str) -> None:
    names = [s.name for s in platform.schedules]
    if name not in names:
        raise UserError(f"no schedule {name!r}", hint=f"one of: {', '.join(names) or '(none)'}")


def pause_schedule(platform: Platform, name: str, duration: str, by: str):  # -> Pause
    """Pause a declared schedule for `duration` (90s, 30m, 2h; a week at most)."""
    from engine.runtime.beat.pause import MAX_PAUSE_SECONDS, pause
    from engine.runtime.delivery.reliability import broker_client
    from polictl.broker.session import session

    _known(platform, name)
    seconds = parse_duration(duration)
    if not seconds or seconds > MAX_PAUSE_SECONDS:
        raise UserError(
            f"{duration!r} is not a pause length", hint="a duration from 1s to 7 days: 30m, 2h"
        )
    if platform.broker.state_store is None:
        raise UserError(
            "pauses need a Redis: the broker, the result backend or broker.state_url",
            hint="broker.result_backend or broker.state_url in queues.yaml",
        )
    with session(platform) as app:
        return pause(broker_client(app), name, seconds, by, prefix=platform.broker.key_prefix)


def resume_schedule(platform: Platform, name: str) -> bool:
    """End a schedule's pause now; whether it was paused."""
    from engine.runtime.beat.pause import resume
    from engine.runtime.delivery.reliability import broker_client
    from polictl.broker.session import session

    _known(platform, name)
    if platform.broker.state_store is None:
        raise UserError(
            "pauses need a Redis: the broker, the result backend or broker.state_url",
            hint="broker.result_backend or broker.state_url in queues.yaml",
        )
    with session(platform) as app:
        return resume(broker_client(app), name, platform.broker.key_prefix)


@click.command("pause")
@click.argument("name")
@click.option("--for", "duration", required=True, help="How long: 30m, 2h (a week at most).")
@click.pass_obj
def pause_cmd(obj, name: str, duration: str) -> None:
    """Hold a schedule back for a while; it resumes by itself."""
    record = pause_schedule(obj.platform(), name, duration, operator())
    click.echo(f"{name}: {record.describe()}")


@click.command("resume")
@click.argument("name")
@click.pass_obj
def resume_cmd(obj, name: str) -> None:
    """End a schedule's pause now."""
    was = resume_schedule(obj.platform(), name)
    click.echo(f"{name}: resumed" if was else f"{name}: was not paused")
