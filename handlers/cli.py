"""`polictl db init|demo`: the pollination database the handlers work on.

polictl finds this command through its lazy command table; nothing here imports poli
(the handlers are the application, poli only runs them)."""

from __future__ import annotations

import json
import os

import click


class DatabaseProblem(click.ClickException):
    """Printed the way polictl prints every user error: `error: ...` then a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)
        if self.hint:
            click.echo(f"  hint: {self.hint}", err=True)


def _database_call(function, **kwargs) -> dict:
    from handlers.errors import InvalidArgument, TransientError

    try:
        return function(**kwargs)
    except InvalidArgument as exc:
        raise DatabaseProblem(str(exc)) from None
    except TransientError as exc:
        raise DatabaseProblem(
            f"database unavailable: {exc}", hint="check POLI_DATABASE_URL"
        ) from None


@click.group()
@click.pass_obj
def db(obj) -> None:
    """Create the database, load demo data (POLI_DATABASE_URL, else SQLite under POLI_DATA_DIR)."""
    # the same data directory the local stack gives its processes (polictl's context knows it)
    os.environ.setdefault("POLI_DATA_DIR", str(obj.data_dir))


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
