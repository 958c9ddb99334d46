"""`celery -A polictl.flower_app flower`: engine.app's app, as Flower runs it behind the one
operator login (POLI_WEB_USER, default `admin`, and POLI_WEB_PASSWORD, from the environment
file or the Kubernetes Secret). Flower shows every task's arguments, results and
tracebacks, so it does not start without a password.

Celery imports this module before Flower reads its options, so the login becomes Flower's
`basic_auth` (FLOWER_BASIC_AUTH), and /metrics, which Flower serves to anyone, asks for it
too; /healthcheck stays open for probes and says nothing but "OK"."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from engine.diagnostics import UserError
from generators.common import WEB_DEFAULT_USER, WEB_PASSWORD, WEB_USER


def web_login(environ: Mapping[str, str]) -> str:
    """`user:password` for Flower's basic_auth; a UserError when no password is set (or
    the login cannot be one: Flower splits its list on `,`)."""
    user = environ.get(WEB_USER) or WEB_DEFAULT_USER
    password = environ.get(WEB_PASSWORD)
    if not password:
        raise UserError(
            f"{WEB_PASSWORD} is not set: Flower does not run without a login",
            hint="set it in the environment file or the Secret (`polictl up` generates one)",
        )
    if any(c in user + password for c in ",\n"):
        raise UserError(f"{WEB_USER} and {WEB_PASSWORD} cannot hold `,` or a newline")
    return f"{user}:{password}"


def _protect_metrics() -> None:
    import tornado.web
    from flower import urls
    from flower.views.monitor import Metrics

    class LoggedInMetrics(Metrics):
        @tornado.web.authenticated
        async def get(self) -> None:
            await super().get()

    # flower.app holds this very list: replaced in place, before Flower builds its app.
    urls.handlers[:] = [
        (r"/metrics", LoggedInMetrics) if h == (r"/metrics", Metrics) else h for h in urls.handlers
    ]
    assert (r"/metrics", LoggedInMetrics) in urls.handlers, "Flower moved /metrics"


try:
    os.environ["FLOWER_BASIC_AUTH"] = web_login(os.environ)
except UserError as problem:
    # Where the Flower process starts, as engine.app is for the others: the one message.
    print(problem.format(), file=sys.stderr)
    sys.exit(problem.exit_code)
_protect_metrics()

from engine.app import app, celery  # noqa: E402 - after the login: a config error still wins

__all__ = ["app", "celery"]
