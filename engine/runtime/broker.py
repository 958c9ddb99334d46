"""Where the broker is at run time: the URL Celery, kombu and Flower use, and a redis-py
client on the Redis where poli keeps its own state (beat's lock, dead letters), for the
processes that read it without a Celery connection (`polictl schedules`, `status`).

What kind of broker a URL names is the model's fact (engine.model.broker); this module only
resolves what needs the running system: the embedded broker's socket or port, and Sentinel's
current master.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from engine.model import Platform
from engine.model.broker import broker_kind, sentinel_addresses


def broker_url(platform: Platform) -> str:
    """The broker's URL; the embedded broker's is known only once its stack runs."""
    if platform.broker.embedded:
        from engine.runtime.embedded import broker_url as embedded_url

        return embedded_url(platform.config_dir)
    return platform.broker.url


def redis_client(platform: Platform, timeout: float = 1.0) -> Any:
    """A redis-py client on the broker's Redis, or None when the broker is not Redis
    (amqp://). Sentinel brokers resolve their master by `transport_options.master_name`."""
    import redis

    url = broker_url(platform)
    kind = broker_kind(url)
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    if kind == "redis-socket":
        path = url.split("://", 1)[1]
        return redis.Redis(unix_socket_path=path, **options)
    if kind in ("redis", "rediss"):
        return redis.Redis.from_url(url, **options)
    if kind == "sentinel":
        from redis.sentinel import Sentinel

        first = urlsplit(url.split(";", 1)[0])
        password = unquote(first.password) if first.password else None
        sentinel = Sentinel(sentinel_addresses(url), sentinel_kwargs=options, **options)
        master = platform.broker.master_name or ""
        return sentinel.master_for(master, password=password, db=_database(first.path))
    return None


def state_client(platform: Platform, timeout: float = 1.0) -> Any:
    """A redis-py client on the Redis where poli keeps its own state (`Broker.state_store`:
    the broker, the result backend or `broker.state_url`), or None when there is none."""
    import redis

    store = platform.broker.state_store
    if store is None:
        return None
    if store == "broker":
        return redis_client(platform, timeout)
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    if broker_kind(store) == "redis-socket":
        return redis.Redis(unix_socket_path=store.split("://", 1)[1], **options)
    return redis.Redis.from_url(store, **options)


def plain_client(channel: Any) -> Any:
    """A redis-py client on a kombu Redis channel's pool that prefixes no key: kombu's own
    client prefixes `global_keyprefix` on some commands only (not GET, HGETALL, ZCARD, the
    keys of a script after the first), so poli's stores prefix their keys themselves
    (`Broker.key_prefix`)."""
    import redis

    return redis.Redis(connection_pool=channel.pool)


def _database(path: str) -> int:
    """kombu's virtual host of a Redis URL is its database number (`/3`), 0 when none."""
    try:
        return int(path.strip("/") or 0)
    except ValueError:
        return 0
