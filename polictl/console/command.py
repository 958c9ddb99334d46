"""`polictl console [--address A] [--port P]`: serve the operator console with waitress.

Where it listens comes from queues.yaml `deploy.console` unless given here; the login from
POLI_WEB_USER / POLI_WEB_PASSWORD (refused to start without a password). The config is
re-read when its files change, so the pages follow the files on disk as beat does.
"""

from __future__ import annotations

import threading
from typing import Any

import click

from engine.diagnostics import UserError, has_errors


class LiveConfig:
    """The last valid config; reloaded when the files' fingerprint changes."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self._lock = threading.Lock()
        self._hash = ""
        self._result = obj.load()

    def result(self) -> Any:
        from engine.config import load
        from engine.config.fingerprint import config_hash

        platform = self._result.platform
        digest = config_hash(platform.config_dir, platform.environment)
        with self._lock:
            if digest != self._hash:
                fresh = load(self.obj.config_dir, self.obj.environment)
                if not has_errors(fresh.diagnostics):
                    self._result = fresh
                self._hash = digest
            return self._result

    def platform(self) -> Any:
        return self.result().platform

    def documents(self) -> Any:
        return self.result().documents


@click.command()
@click.option("--address", help="Listen here (default: deploy.console.address).")
@click.option("--port", type=click.IntRange(0, 65535), help="Default: deploy.console.port.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.pass_obj
def console(obj: Any, address: str | None, port: int | None, threads: int) -> None:
    """Serve the operator console: schedules, calendar, dead letters, queues, config."""
    from polictl.console.auth import login_from

    platform = obj.platform()  # an invalid config: its diagnostics, exit 1
    login = login_from()
    settings = platform.deploy.console
    host = address or settings.address
    listen = port if port is not None else settings.port
    serve(build(obj, login), host, listen, threads)


def build(obj: Any, login: Any) -> Any:
    from polictl.console.app import create_app

    live = LiveConfig(obj)
    return create_app(live.platform, live.documents, login)


def serve(wsgi_app: Any, host: str, port: int, threads: int = 4) -> None:
    from waitress.server import create_server

    try:
        server = create_server(wsgi_app, host=host, port=port, threads=threads, ident="poli")
    except OSError as exc:
        raise UserError(f"the console cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_host, bound_port = server.effective_host, server.effective_port
    click.echo(
        f"console: http://{bound_host}:{bound_port}/ (login: POLI_WEB_USER, POLI_WEB_PASSWORD)"
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
