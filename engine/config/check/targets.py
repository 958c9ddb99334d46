"""What `polictl render kubernetes` needs beyond a valid config, checked before it renders
(and by `polictl validate --for kubernetes`), each at its FILE:LINE:COL: a broker every pod
shares, worker group names that are Kubernetes names, a broker KEDA can read, and no
password in the files the ConfigMap publishes. The generator then takes all of it as given.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from engine.config.options import effective_autoscaling
from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic
from engine.model import EMBEDDED_BROKER
from engine.model.kubernetes import redis_target, worker_name

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def check(queues: Document, sources: dict[str, str]) -> list[Diagnostic]:
    data = _mapping(queues.data)
    broker, groups = _mapping(data.get("broker")), _mapping(data.get("workers"))
    out = _names(queues, list(groups))
    url = broker.get("url")
    if url == EMBEDDED_BROKER:
        out.append(
            error(
                queues.pos(("broker", "url")),
                "kubernetes-broker",
                "the embedded broker cannot run on Kubernetes: each pod would start its own Redis",
                "set POLI_BROKER_URL (broker.url in queues.yaml) to a Redis the cluster"
                " reaches, e.g. redis://redis.poli.svc:6379/0",
            )
        )
    elif isinstance(url, str) and _autoscaled(data, list(groups)):
        try:
            redis_target(url)
        except ValueError as problem:
            hint = (
                "set kubernetes.autoscaling.enabled: false in queues.yaml to render fixed"
                " replicas without ScaledObjects"
            )
            if "no usable host" in str(problem):
                hint = "write it as redis://[:PASSWORD@]HOST[:PORT][/DB]"
            out.append(error(queues.pos(("broker", "url")), "keda-broker", str(problem), hint))
    return out + _passwords(queues, broker, sources)


def _names(queues: Document, groups: list[str]) -> list[Diagnostic]:
    out, seen = [], {}
    for group in groups:
        name, where = worker_name(group), queues.key_pos(("workers", group))
        if not _LABEL.fullmatch(name):
            out.append(
                error(
                    where,
                    "kubernetes-name",
                    f"worker group {group!r} is too long for a Kubernetes name",
                    "use a worker group name of at most 55 characters",
                )
            )
        elif name in seen:
            out.append(
                error(
                    where,
                    "kubernetes-name",
                    f"worker groups {seen[name]!r} and {group!r} are both {name!r} on Kubernetes",
                    "rename one of them: Kubernetes names have no `_` or `.`",
                )
            )
        seen.setdefault(name, group)
    return out


def _autoscaled(data: dict[str, Any], groups: list[str]) -> bool:
    spec = _mapping(data.get("kubernetes"))
    common, own = _mapping(spec.get("autoscaling")), _mapping(spec.get("workers"))
    return any(
        effective_autoscaling(common, _mapping(_mapping(own.get(g)).get("autoscaling")))["enabled"]
        for g in groups
    )


def _passwords(queues: Document, broker: dict, texts: dict[str, str]) -> list[Diagnostic]:
    """The ConfigMap is not secret: a password written into a YAML file must not go there."""
    out = []
    for key in ("url", "result_backend"):
        try:
            password = urlsplit(str(broker.get(key) or "")).password
        except ValueError:
            continue
        for name, text in texts.items() if password else ():
            if f":{password}@" in text:
                out.append(
                    error(
                        queues.pos(("broker", key)),
                        "kubernetes-password",
                        f"{name} holds a password in a URL; the ConfigMap would publish it",
                        "write the URL as ${POLI_BROKER_URL} (or ${POLI_RESULT_BACKEND})"
                        " and keep its value in the Secret",
                    )
                )
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
