"""The model of queues.yaml `kubernetes:` (`Platform.kubernetes`, engine/model/__init__.py): what
`polictl render kubernetes` reads besides the worker groups."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    """Container resource requests and limits, e.g. `(("cpu", "250m"), ("memory", "256Mi"))`."""

    requests: tuple[tuple[str, str], ...]
    limits: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Autoscaling:
    """KEDA bounds of one worker group (`kubernetes.autoscaling`, then the group's)."""

    enabled: bool
    min_replicas: int  # resolved: declared, else the group's `replicas`
    max_replicas: int
    list_length: int  # messages waiting per replica


@dataclass(frozen=True)
class KubernetesGroup:
    resources: Resources
    autoscaling: Autoscaling


@dataclass(frozen=True)
class Kubernetes:
    """queues.yaml `kubernetes:`, what `polictl render kubernetes` reads besides the groups."""

    image: str
    image_pull_policy: str
    namespace: str
    secret: str
    workers: tuple[tuple[str, KubernetesGroup], ...]  # every worker group, in order
    beat: Resources
    flower: Resources

    def group(self, name: str) -> KubernetesGroup:
        return dict(self.workers)[name]
