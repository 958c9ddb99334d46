"""The model of queues.yaml `kubernetes:` (`Platform.kubernetes`, engine/model/__init__.py): what
`polictl render kubernetes` reads besides the worker groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


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


REDIS_PORT = 6379


@dataclass(frozen=True)
class RedisTarget:
    """The broker as KEDA's redis scaler takes it: host:port, database, TLS, and whether
    the Secret must give it a username and a password."""

    address: str
    database: int
    tls: bool
    username: bool
    password: bool


def redis_target(url: str) -> RedisTarget:
    """The broker's address for KEDA's redis scaler; ValueError (in the user's words) when
    KEDA cannot read this URL (`check` reports that before anything renders)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(
            "KEDA's redis scaler reads queue lengths from a redis:// or rediss:// broker;"
            f" this broker is {parts.scheme}://"
        )
    try:
        host, port = parts.hostname, parts.port or REDIS_PORT
        database = int(parts.path.strip("/") or 0)
    except ValueError:
        host = None
    if not host:
        raise ValueError(
            f"the broker URL has no usable host, port and database for KEDA ({parts.scheme}://...)"
        )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    tls, username, password = parts.scheme == "rediss", bool(parts.username), bool(parts.password)
    return RedisTarget(address, database, tls, username, password)


def worker_name(group: str) -> str:
    """`worker-<group>` as a Kubernetes name (a DNS label: no `_` or `.`)."""
    return "worker-" + re.sub(r"[_.]", "-", group).strip("-")
