"""Checks of queues.yaml's `broker:` that the schema cannot express: the URL forms kombu
really reads (the schema's pattern admits any `${VAR}`, checked here once interpolated)."""

from __future__ import annotations

from typing import Any

from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic
from engine.model.broker import broker_kind

SENTINEL_HINT = (
    "write sentinel://HOST:26379 (several sentinels joined by ';') and set"
    " broker.transport_options.master_name"
)


def check(queues: Document) -> list[Diagnostic]:
    broker = _mapping(_mapping(queues.data).get("broker"))
    out = []
    for key in ("url", "result_backend"):
        value = broker.get(key)
        if isinstance(value, str) and value.lower().startswith("redis+sentinel://"):
            out.append(
                error(
                    queues.pos(("broker", key)),
                    "unknown-transport",
                    "redis+sentinel:// is not a URL kombu knows: it would connect to a plain"
                    " Redis on localhost:6379",
                    SENTINEL_HINT,
                )
            )
    url = broker.get("url")
    options = _mapping(broker.get("transport_options"))
    if isinstance(url, str) and broker_kind(url) == "sentinel" and "master_name" not in options:
        out.append(
            error(
                queues.pos(("broker", "url")),
                "sentinel-master",
                "a sentinel:// broker needs the name of the master the sentinels watch",
                "set broker.transport_options.master_name (e.g. mymaster)",
            )
        )
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
