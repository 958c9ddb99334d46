"""Names and labels the Kubernetes manifests share (generators/kubernetes.py, keda.py)."""

from __future__ import annotations

import re
from typing import Any

from engine.diagnostics import UserError
from engine.model import Platform, WorkerGroup

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def worker_component(group: WorkerGroup) -> str:
    """`worker-<group>` as a Kubernetes name (a DNS label: no `_` or `.`)."""
    component = "worker-" + re.sub(r"[_.]", "-", group.name).strip("-")
    if not _LABEL.fullmatch(component):
        raise UserError(
            f"worker group {group.name!r} is too long for a Kubernetes name",
            hint="use a worker group name of at most 55 characters",
        )
    return component


def check_names(platform: Platform) -> None:
    """Two groups whose names differ only in `_`, `.` and `-` would share objects."""
    seen: dict[str, str] = {}
    for group in platform.workers:
        component = worker_component(group)
        if component in seen:
            raise UserError(
                f"worker groups {seen[component]!r} and {group.name!r} are both"
                f" {component!r} on Kubernetes",
                hint="rename one of them: Kubernetes names have no `_` or `.`",
            )
        seen[component] = group.name


def selector(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "poli", "app.kubernetes.io/component": component}


def labels(component: str) -> dict[str, str]:
    return {**selector(component), "app.kubernetes.io/managed-by": "polictl"}


def metadata(platform: Platform, name: str, component: str) -> dict[str, Any]:
    return {"name": name, "namespace": platform.kubernetes.namespace, "labels": labels(component)}
