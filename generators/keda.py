"""KEDA objects for `render kubernetes`: a ScaledObject per autoscaled worker group,
with one `redis` trigger per queue it consumes (a Celery queue on Redis is a list
named after the queue, so its length is the number of messages waiting), and a
TriggerAuthentication that reads the broker password from the Secret by key."""

from __future__ import annotations

from typing import Any

from engine.model import Platform
from engine.model.kubernetes import RedisTarget, redis_target
from generators.kubernetes_names import metadata, worker_component

TRIGGER_AUTH = "poli-broker"
# Keys of the Secret (besides POLI_BROKER_URL) that KEDA reads; the pods ignore them.
PASSWORD_KEY = "POLI_BROKER_PASSWORD"
USERNAME_KEY = "POLI_BROKER_USERNAME"


def keda_objects(platform: Platform) -> dict[str, list[dict[str, Any]]]:
    """`{"keda/<file>.yaml": [objects]}`; empty when no group autoscales."""
    groups = [g for g in platform.workers if platform.kubernetes.group(g.name).autoscaling.enabled]
    if not groups:
        return {}
    target = redis_target(platform.broker.url)
    files: dict[str, list[dict[str, Any]]] = {}
    if target.password or target.username:
        files["keda/trigger-authentication.yaml"] = [_trigger_auth(platform, target)]
    for group in groups:
        name = worker_component(group)
        scaling = platform.kubernetes.group(group.name).autoscaling
        files[f"keda/{name}.yaml"] = [
            {
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": metadata(platform, f"poli-{name}", name),
                "spec": {
                    "scaleTargetRef": {"name": f"poli-{name}"},
                    "minReplicaCount": scaling.min_replicas,
                    "maxReplicaCount": scaling.max_replicas,
                    "triggers": [
                        _trigger(target, queue, scaling.list_length) for queue in group.queues
                    ],
                },
            }
        ]
    return files


def _trigger(target: RedisTarget, queue: str, list_length: int) -> dict[str, Any]:
    trigger: dict[str, Any] = {
        "type": "redis",
        "metadata": {
            "address": target.address,
            "databaseIndex": str(target.database),
            "enableTLS": "true" if target.tls else "false",
            "listName": queue,
            "listLength": str(list_length),
        },
    }
    if target.password or target.username:
        trigger["authenticationRef"] = {"name": TRIGGER_AUTH}
    return trigger


def _trigger_auth(platform: Platform, target: RedisTarget) -> dict[str, Any]:
    secret = platform.kubernetes.secret
    refs = [("username", USERNAME_KEY)] if target.username else []
    refs += [("password", PASSWORD_KEY)] if target.password else []
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": metadata(platform, TRIGGER_AUTH, "keda"),
        "spec": {
            "secretTargetRef": [
                {"parameter": parameter, "name": secret, "key": key} for parameter, key in refs
            ]
        },
    }
