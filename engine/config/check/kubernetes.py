"""Checks of queues.yaml `kubernetes:` that the schema cannot express: groups that exist,
`max_replicas` not below `min_replicas`. Defensive about types (this runs even when the
schema found problems)."""

from __future__ import annotations

from typing import Any

from engine.config.options import effective, effective_autoscaling
from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic, did_you_mean


def check_kubernetes(doc: Document) -> list[Diagnostic]:
    """queues.yaml's `kubernetes:` against its worker groups; defensive about types
    (this runs even when the schema found problems)."""
    data = _mapping(doc.data)
    spec, groups = _mapping(data.get("kubernetes")), _mapping(data.get("workers"))
    out = []
    for name in _mapping(spec.get("workers")):
        if name not in groups:
            out.append(
                error(
                    doc.key_pos(("kubernetes", "workers", name)),
                    "unknown-worker-group",
                    f"kubernetes.workers names unknown worker group {name!r}",
                    did_you_mean(name, groups) or "declare it under `workers:`",
                )
            )
    for name, group in groups.items():
        out += _bounds(doc, spec, name, _mapping(group))
    return out


def _bounds(
    doc: Document, spec: dict[str, Any], name: str, group: dict[str, Any]
) -> list[Diagnostic]:
    """`max_replicas` below the group's effective `min_replicas`, reported where it is set."""
    common = _mapping(spec.get("autoscaling"))
    own = _mapping(_mapping(_mapping(spec.get("workers")).get(name)).get("autoscaling"))
    scaling = effective_autoscaling(common, own)
    if scaling.get("enabled") is False:
        return []
    low, high = scaling["min_replicas"], scaling["max_replicas"]
    if low is None:
        low = effective("worker", group)["replicas"]
    if not (isinstance(low, int) and isinstance(high, int)) or low <= high:
        return []
    if "max_replicas" in own:
        path: tuple = ("kubernetes", "workers", name, "autoscaling", "max_replicas")
    elif "max_replicas" in common:
        path = ("kubernetes", "autoscaling", "max_replicas")
    else:
        path = ("workers", name, "replicas") if "replicas" in group else ("workers", name)
    whence = "" if scaling["min_replicas"] is not None else ", the group's replicas"
    message = f"worker group {name!r}: max_replicas {high} is below min_replicas {low}{whence}"
    hint = f"raise max_replicas, or set kubernetes.workers.{name}.autoscaling.min_replicas lower"
    return [error(doc.pos(path), "autoscaling-bounds", message, hint)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
