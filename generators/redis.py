"""The embedded broker's redis-server arguments, as `engine.embedded` expects to find it:
an append-only file and a unix socket in `<state_dir>/redis`, no TCP."""

from __future__ import annotations

from engine.diagnostics import UserError
from engine.model import Deploy

# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL
# (the same limit engine.embedded checks at run time).
MAX_SOCKET_PATH = 107


def redis_dir(deploy: Deploy) -> str:
    return f"{deploy.state_dir.rstrip('/')}/redis"


def socket_path(deploy: Deploy) -> str:
    return f"{redis_dir(deploy)}/redis.sock"


def embedded_redis_args(deploy: Deploy) -> list[str]:
    """redis-server arguments (foreground, AOF, unix socket) for the embedded broker."""
    if len(socket_path(deploy).encode()) > MAX_SOCKET_PATH:
        raise UserError(
            f"deploy.state_dir is too long for the embedded broker's socket {socket_path(deploy)}",
            hint=f"use a state_dir whose redis/redis.sock path fits in {MAX_SOCKET_PATH} bytes",
        )
    args = ["--dir", redis_dir(deploy), "--daemonize", "no"]
    args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    return [*args, "--port", "0", "--unixsocket", socket_path(deploy), "--unixsocketperm", "700"]
