"""The embedded broker as a deployment runs it: `engine.model.broker` defines it
(an append-only file and a unix socket in `<state_dir>/redis`, no TCP)."""

from __future__ import annotations

from engine.model import Deploy
from engine.model.broker import deployed_redis_dir, deployed_socket_path, server_args


def redis_dir(deploy: Deploy) -> str:
    return deployed_redis_dir(deploy.state_dir)


def embedded_redis_args(deploy: Deploy, port: int | None = None) -> list[str]:
    """redis-server arguments (foreground, AOF) for the embedded broker: on its unix socket
    (the path fits: engine.config.check.deploy checks deploy.state_dir), or on a loopback `port`
    (the local stack's fallback when the socket path is too long)."""
    if port is not None:
        return server_args(redis_dir(deploy), port=port)
    return server_args(redis_dir(deploy), socket=deployed_socket_path(deploy.state_dir))
