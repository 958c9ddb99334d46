"""The embedded broker as a deployment runs it: `engine.runtime.embedded` defines it
(an append-only file and a unix socket in `<state_dir>/redis`, no TCP)."""

from __future__ import annotations

from engine.diagnostics import UserError
from engine.model import Deploy
from engine.runtime.embedded import (
    MAX_SOCKET_PATH,
    deployed_redis_dir,
    deployed_socket_path,
    server_args,
)


def redis_dir(deploy: Deploy) -> str:
    return deployed_redis_dir(deploy.state_dir)


def embedded_redis_args(deploy: Deploy, port: int | None = None) -> list[str]:
    """redis-server arguments (foreground, AOF) for the embedded broker: on its unix socket,
    or on a loopback `port` (the local stack's fallback when the socket path is too long)."""
    if port is not None:
        return server_args(redis_dir(deploy), port=port)
    socket = deployed_socket_path(deploy.state_dir)
    if len(socket.encode()) > MAX_SOCKET_PATH:
        raise UserError(
            f"deploy.state_dir is too long for the embedded broker's socket {socket}",
            hint=f"use a state_dir whose redis/redis.sock path fits in {MAX_SOCKET_PATH} bytes",
        )
    return server_args(redis_dir(deploy), socket=socket)
