"""`polictl db init|demo`: the pollination database the handlers work on."""

from __future__ import annotations

import json
import os

import click

from engine.diagnostics import UserError


def _database_call(function, **kwargs) -> dict:
    from handlers.errors import InvalidArgument, TransientError

    try:
        return function(**kwargs)
    except InvalidArgument as exc:
        raise UserError(str(exc)) from None
    except TransientError as exc:
        raise UserError(f"database unavailable: {exc}", hint="check POLI_DATABASE_URL") from None


@click.group()
@click.pass_obj
def db(obj) -> None:
    """Create the database, load demo data (POLI_DATABASE_URL, else SQLite under POLI_DATA_DIR)."""
    from engine.embedded import data_dir

    # the same data directory the local stack gives its processes
    os.environ.setdefault("POLI_DATA_DIR", str(data_dir(obj.config_dir)))


@db.command()
@click.option("--url", help="SQLAlchemy URL; default POLI_DATABASE_URL or <data dir>/poli.db.")
def init(url: str | None) -> None:
    """Create the schema (safe to run again)."""
    from handlers.db import init_db

    click.echo(json.dumps(_database_call(init_db, url=url), indent=2))


@db.command()
@click.option("--url", help="SQLAlchemy URL; default POLI_DATABASE_URL or <data dir>/poli.db.")
@click.option("--today", help="ISO date the demo records are arranged around (default: today).")
def demo(url: str | None, today: str | None) -> None:
    """Load (or reload) a realistic demo data set of pollinations and germinations."""
    from handlers.demo import load_demo

    click.echo(json.dumps(_database_call(load_demo, url=url, today=today), indent=2, default=str))
