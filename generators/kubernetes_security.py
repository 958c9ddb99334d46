"""What every poli pod carries for a security review: the Pod Security Standards'
"restricted" profile (a numeric non-root user, no privilege escalation, no capabilities,
the runtime's seccomp profile), a read-only root file system with an emptyDir wherever a
process writes, no service-account token, each secret by its key, a PodDisruptionBudget per
worker group and NetworkPolicies (workers and beat talk to the broker only; Flower answers
only pods labelled `poli.dev/flower-access: "true"`, the console `poli.dev/console-access`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from engine.model import Platform, WorkerGroup
from generators.common import SERVICE_GID, SERVICE_UID, WEB_PASSWORD, WEB_USER
from generators.kubernetes_names import metadata, selector, worker_component

FLOWER_ACCESS = {"poli.dev/flower-access": "true"}
CONSOLE_ACCESS = {"poli.dev/console-access": "true"}
DEFAULT_PORTS = {"redis": 6379, "rediss": 6379, "redis+sentinel": 26379, "amqp": 5672}
# `${NAME}` and `${NAME:-default}` in the YAML files (`$${` is a literal `$`).
_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?")


def pod_security() -> dict[str, Any]:
    """The pod-level fields: who runs, seccomp, and no API token (poli never calls the API)."""
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": SERVICE_UID,
            "runAsGroup": SERVICE_GID,
            "fsGroup": SERVICE_GID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": SERVICE_UID,
        "runAsGroup": SERVICE_GID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def writable_dirs(platform: Platform) -> dict[str, str]:
    """Volume name -> path of each emptyDir: /tmp (the heartbeat file, multiprocessing's
    temporary files), the data dir (beat's schedule, the model cache, handlers' data) and
    the log dir (handlers' logs). Everything else is the read-only image."""
    deploy = platform.deploy
    return {"tmp": "/tmp", "state": deploy.state_dir, "logs": deploy.log_dir}


def secret_env(platform: Platform, sources: Mapping[str, str], web: bool) -> list[dict[str, Any]]:
    """One `secretKeyRef` per variable the YAML files reference (optional when they give a
    default), and the operator login for the web UIs: never the whole Secret."""
    references: dict[str, bool] = {}
    for text in sources.values():
        for name, default in _REFERENCE.findall(text):
            references[name] = references.get(name, True) and bool(default)
    if web:
        references |= {WEB_USER: True, WEB_PASSWORD: False}
    return [_secret_ref(platform.kubernetes.secret, k, v) for k, v in references.items()]


def _secret_ref(secret: str, key: str, optional: bool) -> dict[str, Any]:
    ref = {"name": secret, "key": key, "optional": optional}
    return {"name": key, "valueFrom": {"secretKeyRef": ref}}


def disruption_budget(platform: Platform, group: WorkerGroup) -> dict[str, Any]:
    """A drain takes one worker at a time (a warm shutdown each), never the whole group."""
    component = worker_component(group)
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(platform, f"poli-{component}", component),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(component)}},
    }


def network_policies(platform: Platform) -> list[dict[str, Any]]:
    everyone = {"matchLabels": {"app.kubernetes.io/name": "poli"}}
    dns = [{"protocol": proto, "port": 53} for proto in ("UDP", "TCP")]
    backends = sorted(_ports(platform))
    policies = [
        _policy(platform, "poli-deny-all", everyone, {"policyTypes": ["Ingress", "Egress"]}),
        _policy(
            platform,
            "poli-broker",
            everyone,
            {
                "policyTypes": ["Egress"],
                "egress": [
                    {"ports": dns},
                    {"ports": [{"protocol": "TCP", "port": port} for port in backends]},
                ],
            },
        ),
    ]
    web = [("flower", FLOWER_ACCESS)] if platform.deploy.flower.enabled else []
    web += [("console", CONSOLE_ACCESS)] if platform.deploy.console.enabled else []
    for component, allowed in web:  # the web UIs answer only pods labelled for them
        access = {
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": allowed}}],
                    "ports": [{"protocol": "TCP", "port": "http"}],
                }
            ],
        }
        pods = {"matchLabels": selector(component)}
        policies.append(_policy(platform, f"poli-{component}", pods, access))
    return policies


def _policy(platform: Platform, name: str, pods: dict, spec: dict) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(platform, name, "network"),
        "spec": {"podSelector": pods, **spec},
    }


def _ports(platform: Platform) -> set[int]:
    """The TCP ports of the broker and the result backend (their hosts may be anywhere)."""
    urls = [platform.broker.url, platform.broker.result_backend_for(platform.broker.url)]
    ports = set()
    for url in filter(None, urls):
        parts = urlsplit(url)
        port = parts.port if parts.port else DEFAULT_PORTS.get(parts.scheme)
        if port:
            ports.add(port)
        if parts.scheme == "redis+sentinel":  # then the master the sentinels name
            ports.add(DEFAULT_PORTS["redis"])
    return ports or {DEFAULT_PORTS["redis"]}
