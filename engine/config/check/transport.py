"""Checks on broker.transport_options that need the built model (the reliability policy)."""

from __future__ import annotations

from engine.config.read.loader import Document
from engine.diagnostics import ERROR, WARNING, Diagnostic
from engine.durations import format_duration as d
from engine.model import Platform
from engine.model.reliability import MIN_VISIBILITY_TIMEOUT, REFRESH_RECONNECT_BOUND

KEY = ("broker", "transport_options", "visibility_timeout")


def visibility_timeout(platform: Platform, queues: Document) -> list[Diagnostic]:
    """A declared visibility timeout too short for the refresh: live workers re-score what
    they hold every quarter of it, and two refreshes and one failed attempt must fit in it, or
    a message is swept back (and run twice) while its worker still holds it. A longer one only
    delays a dead worker's tasks, which the refresher makes safe at any length."""
    declared = dict(platform.broker.transport_options).get("visibility_timeout")
    if declared is None or declared >= MIN_VISIBILITY_TIMEOUT:
        return []
    pos = queues.pos(KEY)
    message = (
        f"broker.transport_options.visibility_timeout {d(declared)} is too short: live workers "
        f"refresh what they hold every quarter of it and a failed refresh takes up to "
        f"{REFRESH_RECONNECT_BOUND:g}s, so a running task would be handed to another worker"
    )
    hint = (
        f"at least {d(int(MIN_VISIBILITY_TIMEOUT))}, or remove it "
        f"(poli derives {d(platform.reliability.visibility_timeout)})"
    )
    return [Diagnostic(pos.file, pos.line, pos.column, ERROR, "visibility-timeout", message, hint)]


def state_store(platform: Platform, queues: Document) -> list[Diagnostic]:
    """Without a Redis for poli's own state (an amqp:// broker, a result backend that is not a
    Redis, no broker.state_url), the features that keep it are off: say which."""
    if platform.broker.state_store is not None:
        return []
    pos = queues.pos(("broker", "url"))
    scheme = platform.broker.url.split("://", 1)[0]
    message = (
        f"no Redis keeps poli's own state with a {scheme}:// broker: dead letters, "
        "poison-message counts and beat's lock are off (run exactly one beat)"
    )
    hint = "set broker.result_backend to a redis:// URL, or broker.state_url"
    return [Diagnostic(pos.file, pos.line, pos.column, WARNING, "state-store", message, hint)]
