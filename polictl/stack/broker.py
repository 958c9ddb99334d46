"""Questions for the broker and the workers behind it, through the platform's own Celery app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.model import Platform

if TYPE_CHECKING:
    from celery import Celery


def celery_app(platform: Platform) -> Celery:
    """The same app the workers run (engine.app), built from the already-loaded platform."""
    from engine.runtime.celery_app import build_app

    return build_app(platform)


def masked_url(app: Celery) -> str:
    """The broker URL as it may be printed: kombu masks the password."""
    with app.connection_for_write() as conn:
        return conn.as_uri()


def unreachable(app: Celery, timeout: float = 2.0) -> str | None:
    """None when the broker answers, else why not."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
    except Exception as exc:  # kombu wraps every transport's errors differently
        return str(exc) or exc.__class__.__name__
    return None


def queue_depths(app: Celery, queues: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue (for Redis: the list and kombu's priority lists)."""
    depths: dict[str, int | None] = {}
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for name in queues:
            depths[name] = _depth(channel, name)
    return depths


def _depth(channel, name: str) -> int | None:
    size = getattr(channel, "_size", None)  # kombu's virtual transports (Redis) sum priorities
    try:
        if size is not None:
            return int(size(name))
        return int(channel.queue_declare(queue=name, passive=True).message_count)
    except Exception:  # a queue never declared has no depth to report
        return None


def consumers(app: Celery, timeout: float = 1.0) -> dict[str, list[str]]:
    """Queue name -> the live workers consuming it (those that answer within `timeout`)."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    by_queue: dict[str, list[str]] = {}
    for worker, queues in sorted(replies.items()):
        for queue in queues:
            by_queue.setdefault(queue["name"], []).append(worker)
    return by_queue


def purge(app: Celery, queue: str) -> int:
    with app.connection_for_write() as conn:
        return int(conn.default_channel.queue_purge(queue) or 0)
