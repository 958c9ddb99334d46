"""Which hosts consume a queue: live ones from the workers' node names (GROUP-N@HOST, the
host being Celery's %h or systemd's %H), declared ones from queues.yaml `hosts:`."""

from __future__ import annotations

from collections.abc import Iterable


def node_host(node: str) -> str:
    """The host of a Celery node name: `edge-1@host-b` -> `host-b`."""
    name, at, host = node.partition("@")
    return host if at else name


def live_hosts(nodes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({node_host(node) for node in nodes}))


def same_host(live: str, declared: str) -> bool:
    """A machine may report its short name or its full one (`app1` / `app1.example.com`)."""
    a, b = live.lower(), declared.lower()
    if a == b:
        return True
    return ("." not in a or "." not in b) and a.split(".")[0] == b.split(".")[0]


def missing(declared: Iterable[str], live: Iterable[str]) -> tuple[str, ...]:
    """Declared hosts with no live consumer among `live`."""
    live = tuple(live)
    return tuple(d for d in declared if not any(same_host(h, d) for h in live))
