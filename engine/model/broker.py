"""What a broker URL is, and the embedded broker's layout: facts every consumer asks here.

`broker_kind(url)` is the one answer to "is this Redis, and which form?" (the config checks,
the app builder, beat, dead letters, `polictl` and the generators all ask it). The embedded
broker's rules (a unix socket path must fit the kernel's limit; its URL forms; its
redis-server arguments) live here too, so the local stack, the checks and every rendered
deployment start the same server. Pure: no I/O.
"""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import urlsplit

EMBEDDED_BROKER = "embedded"
BrokerKind = Literal["embedded", "redis", "rediss", "redis-socket", "sentinel", "amqp", "other"]
SCHEMES: dict[str, BrokerKind] = {
    "redis": "redis",
    "rediss": "rediss",
    "redis+socket": "redis-socket",
    "unix": "redis-socket",
    "sentinel": "sentinel",
    "amqp": "amqp",
    "amqps": "amqp",
    "pyamqp": "amqp",
}
# Kinds whose server is a Redis that poli keeps its own state in (lock, dead letters, counts).
REDIS_KINDS: frozenset[str] = frozenset({"embedded", "redis", "rediss", "redis-socket", "sentinel"})
# Kinds for which poli installs its own Redis transport (engine.runtime.delivery.transport).
TCP_REDIS_KINDS: frozenset[str] = frozenset({"redis", "rediss"})
# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SOCKET_PATH = 107
SOCKET_NAME = "redis.sock"
# The loopback fallback's redis-server config file, beside its data: its password, never argv.
AUTH_FILE = "auth.conf"


def broker_kind(url: str) -> BrokerKind:
    """The kind of broker (or result backend) a URL names; kombu's failover lists
    (`a;b`) are of their first member's kind."""
    if url == EMBEDDED_BROKER:
        return "embedded"
    scheme = url.strip().split("://", 1)[0].lower()  # a list's first "://" is its first member's
    return SCHEMES.get(scheme, "other")


def is_redis(url: str) -> bool:
    return broker_kind(url) in REDIS_KINDS


def sentinel_addresses(url: str) -> tuple[tuple[str, int], ...]:
    """(host, port) of every sentinel in kombu's `sentinel://h1:26379;sentinel://h2:26379`."""
    found = []
    for part in url.split(";"):
        parsed = urlsplit(part.strip())
        if parsed.hostname:
            found.append((parsed.hostname, parsed.port or 26379))
    return tuple(found)


def socket_fits(path: str | os.PathLike[str]) -> bool:
    """Whether a unix socket can be bound at `path` (the kernel's sun_path limit)."""
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH


def socket_url(path: str | os.PathLike[str]) -> str:
    """kombu's URL of a Redis on a unix socket (redis-py spells it `unix://PATH`)."""
    return f"redis+socket://{path}"


def loopback_url(port: int, password: str = "") -> str:
    """The embedded broker on loopback (the socket path was too long): behind a password."""
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{port}/0"


def deployed_redis_dir(state_dir: str) -> str:
    """The embedded broker's directory under a deployment's state dir (as text)."""
    return f"{state_dir.rstrip('/')}/redis"


def deployed_socket_path(state_dir: str) -> str:
    return f"{deployed_redis_dir(state_dir)}/{SOCKET_NAME}"


def longest_state_dir() -> int:
    """The longest state_dir whose embedded broker socket still fits."""
    return MAX_SOCKET_PATH - len(deployed_socket_path(""))


def server_args(directory: str, socket: str | None = None, port: int = 0) -> list[str]:
    """redis-server arguments (foreground, AOF) serving `directory` on a unix socket, or
    on a loopback port when there is no socket: the one definition of the embedded broker,
    for the local stack and for every rendered deployment."""
    args = ["--dir", directory, "--daemonize", "no"]
    args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    if socket is not None:
        return [*args, "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700"]
    # The config file (first, as redis-server wants it) holds the password: never argv.
    config = f"{directory.rstrip('/')}/{AUTH_FILE}"
    return [config, *args, "--port", str(port), "--bind", "127.0.0.1"]


def state_store(kind: BrokerKind, result_backend: str | None, state_url: str | None) -> str | None:
    """Where poli keeps its own state (beat's lock and due times, dead letters, delivery
    counts): "broker" when the broker is a Redis, else the result backend when it is one,
    else `broker.state_url`; None when there is no Redis (those features are off)."""
    if kind in REDIS_KINDS:
        return "broker"
    if result_backend and broker_kind(result_backend) in REDIS_KINDS:
        return result_backend
    return state_url or None
