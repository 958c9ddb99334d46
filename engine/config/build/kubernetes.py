"""queues.yaml `kubernetes:` -> its model (defaults from the schema); the checks are in
engine.config.check.kubernetes."""

from __future__ import annotations

from typing import Any

from engine.config.options import effective, effective_autoscaling
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


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
