"""The broker session: the platform's own Celery app, a broker that answers, and every broker
error as the one user error; and the questions commands ask through it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from engine.diagnostics import UserError
from engine.model import Platform
from engine.secrets import mask_secrets

if TYPE_CHECKING:
    from celery import Celery


def celery_app(platform: Platform) -> Celery:
    """The same app the workers run (engine.app), built from the already-loaded platform."""
    from engine.runtime.app.build import build_app

    return build_app(platform)


def masked_url(app: Celery) -> str:
    """The broker URL as it may be printed: the password masked (engine.secrets)."""
    return mask_secrets(str(app.conf.broker_url))


def unreachable(app: Celery, timeout: float = 2.0) -> str | None:
    """None when the broker answers, else why not."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.2, timeout=timeout)
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
    except Exception as exc:  # kombu wraps every transport's errors differently
        return mask_secrets(str(exc) or exc.__class__.__name__)
    return None


def require_broker(app: Celery, timeout: float = 2.0) -> None:
    """A one-line UserError naming the (masked) broker when it does not answer."""
    problem = unreachable(app, timeout)
    if problem is not None:
        raise UserError(
            f"broker {masked_url(app)} unreachable: {problem}",
            hint="polictl status; polictl up",
        )


@contextmanager
def broker_errors(app: Celery) -> Iterator[None]:
    """The broker (or result backend) failing mid-command: a one-line UserError, masked."""
    from kombu.exceptions import KombuError
    from redis.exceptions import RedisError

    try:
        yield
    except (OSError, KombuError, RedisError) as exc:
        reason = mask_secrets(str(exc) or type(exc).__name__)
        raise UserError(f"broker {masked_url(app)} failed: {reason}") from None


@contextmanager
def session(platform: Platform, timeout: float = 2.0, needs_results: str = "") -> Iterator[Celery]:
    """The one way a command talks to the broker: the platform's app, once the broker
    answers; any broker or result-backend failure inside is the one user error (masked).
    `needs_results` names the command that cannot work without a result backend."""
    app = celery_app(platform)
    if needs_results and not app.conf.result_backend:
        raise UserError(
            f"{needs_results} needs a result backend, and broker.result_backend is `none`",
            hint="set it to `broker` or a URL (queues.yaml reads it from POLI_RESULT_BACKEND)",
        )
    require_broker(app, timeout)
    with broker_errors(app):
        yield app


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
