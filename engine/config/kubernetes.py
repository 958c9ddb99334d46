"""queues.yaml `kubernetes:`: its model (defaults from the schema) and the checks the
schema cannot express (groups that exist, `max_replicas` not below `min_replicas`)."""

from __future__ import annotations

from typing import Any

from engine.config.loader import Document, error
from engine.config.options import effective
from engine.diagnostics import Diagnostic, did_you_mean
from engine.model import WorkerGroup
from engine.model.kubernetes import Autoscaling, Kubernetes, KubernetesGroup, Resources


def build_kubernetes(spec: dict[str, Any], workers: tuple[WorkerGroup, ...]) -> Kubernetes:
    values = effective("kubernetes", spec)
    groups = values.get("workers") or {}
    return Kubernetes(
        image=values["image"],
        image_pull_policy=values["image_pull_policy"],
        namespace=values["namespace"],
        secret=values["secret"],
        workers=tuple(
            (g.name, _group(g, values.get("autoscaling") or {}, groups.get(g.name) or {}))
            for g in workers
        ),
        beat=_resources((values.get("beat") or {}).get("resources")),
        flower=_resources((values.get("flower") or {}).get("resources")),
    )


def effective_autoscaling(common: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The group's keys over `kubernetes.autoscaling` over the schema's defaults."""
    return {**effective("k8s_autoscaling", common), **own}


def _group(group: WorkerGroup, common: dict[str, Any], spec: dict[str, Any]) -> KubernetesGroup:
    scaling = effective_autoscaling(common, spec.get("autoscaling") or {})
    if scaling["min_replicas"] is None:
        scaling["min_replicas"] = group.replicas
    resources = _resources(spec.get("resources"), group.memory_limit)
    return KubernetesGroup(resources=resources, autoscaling=Autoscaling(**scaling))


def _resources(spec: dict[str, Any] | None, memory_limit: int | None = None) -> Resources:
    """Declared requests and limits over the schema's defaults; the group's memory_limit
    (KiB) is its memory limit unless one is declared."""
    values = effective("k8s_resources", spec)
    declared = (spec or {}).get("limits") or {}
    if memory_limit is not None and "memory" not in declared:
        values["limits"] = {**declared, "memory": f"{memory_limit}Ki"}

    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        return tuple((name, str(value)) for name, value in (values.get(key) or {}).items())

    return Resources(requests=pairs("requests"), limits=pairs("limits"))


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
