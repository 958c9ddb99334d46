"""Names and labels the Kubernetes manifests share (generators/kubernetes.py, keda.py)."""

from __future__ import annotations

from typing import Any

from engine.model import Platform, WorkerGroup
from engine.model.kubernetes import worker_name


def worker_component(group: WorkerGroup) -> str:
    """`worker-<group>` as a Kubernetes name (unique and short enough: checked before
    rendering, by engine.config.check.targets)."""
    return worker_name(group.name)


def selector(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "poli", "app.kubernetes.io/component": component}


def labels(component: str) -> dict[str, str]:
    return {**selector(component), "app.kubernetes.io/managed-by": "polictl"}


def metadata(platform: Platform, name: str, component: str) -> dict[str, Any]:
    return {"name": name, "namespace": platform.kubernetes.namespace, "labels": labels(component)}
