"""Checks of a queue's `type: quorum`: what RabbitMQ's quorum queues cannot do.

A quorum queue is RabbitMQ's (an amqp:// broker); it takes no `x-max-priority` (Celery's
`task_queue_max_priority` declares it on every queue); and it has no global QoS, which
Celery turns off only while `worker_detect_quorum_queues` is on (its default).
"""

from __future__ import annotations

from typing import Any

from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic
from engine.model.broker import broker_kind

# celery: keys quorum queues refuse -> (their refused value, why, hint)
REFUSED_CELERY = {
    "task_queue_max_priority": (
        None,
        "declares x-max-priority on every queue, which a quorum queue refuses",
        "drop celery.task_queue_max_priority, or keep this queue classic",
    ),
    "worker_detect_quorum_queues": (
        False,
        "off keeps global QoS, which quorum queues do not support: a worker's prefetch"
        " and countdown tasks would not work",
        "drop celery.worker_detect_quorum_queues (Celery's default, on)",
    ),
}


def check(queues: Document) -> list[Diagnostic]:
    data = _mapping(queues.data)
    quorum = [
        name for name, spec in _mapping(data.get("queues")).items()
        if _mapping(spec).get("type") == "quorum"
    ]  # fmt: skip
    if not quorum:
        return []
    url = _mapping(data.get("broker")).get("url")
    out = []
    if isinstance(url, str) and broker_kind(url) != "amqp":
        kind = broker_kind(url)
        for name in quorum:
            out.append(
                error(
                    queues.pos(("queues", name, "type")),
                    "quorum-needs-amqp",
                    f"queue {name!r} is a quorum queue, a RabbitMQ queue type, and the broker"
                    f" is {kind}",
                    "use an amqp:// broker, or drop `type: quorum` (classic is the default)",
                )
            )
    celery = _mapping(data.get("celery"))
    for key, (refused, why, hint) in REFUSED_CELERY.items():
        if key in celery and (refused is None or celery[key] == refused):
            out.append(
                error(
                    queues.pos(("celery", key)),
                    "quorum-refused-setting",
                    f"celery.{key} with quorum queue {quorum[0]!r}: {why}",
                    hint,
                )
            )
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
