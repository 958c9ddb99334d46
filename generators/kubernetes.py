"""Kubernetes: a Deployment per worker group, beat (one pod, `Recreate`), Flower with a
Service, a ConfigMap holding the YAML files, and the KEDA objects (generators/keda.py).

Manifests are built as dicts and written by PyYAML's safe dumper, not from templates:
Kubernetes objects are deep, nested data, and the dumper quotes every value (commands,
paths, the YAML files' text) correctly by construction, so nothing in the config can
break the YAML or add a field. The tests validate the same objects that are written."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import yaml

from engine.model import Platform, WorkerGroup
from engine.model.kubernetes import Resources
from generators.common import (
    HEADER,
    beat_args,
    console_args,
    flower_args,
    runtime_environment,
    worker_args,
)
from generators.keda import keda_objects
from generators.kubernetes_names import labels, metadata, selector, worker_component

CONFIG_MOUNT = "/etc/poli/config"  # the ConfigMap, read-only: POLI_CONFIG_DIR
CONFIG_MAP = "poli-config"
FLOWER_PORT = 5555
CONSOLE_PORT = 5556
HEARTBEAT_FILE = "/tmp/poli-worker.alive"  # touched by the worker: engine/runtime/heartbeat.py
STALE_SECONDS = 120  # a heartbeat older than this: the worker's event loop is stuck
# Pools that run tasks inside the worker's own event loop: a long task delays the
# heartbeat, so there it may be as old as the group's stop timeout.
LOOP_POOLS = ("solo", "gevent", "eventlet")


def render_kubernetes(
    platform: Platform, sources: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`{relative path: manifest}`. `sources` are the YAML files as written (pods read
    them from the ConfigMap and interpolate `${VAR}` from the Secret); by default the
    ones the model was loaded from (`platform.sources`): this generator reads nothing. What Kubernetes
    needs of the config (a shared broker, names, no password in the files) is checked
    before: `polictl render kubernetes` loads with `target="kubernetes"`."""
    texts = dict(sorted(sources.items()) if sources is not None else platform.sources)
    digest = hashlib.sha256(yaml.safe_dump(texts).encode()).hexdigest()
    files = {"configmap.yaml": dump(_configmap(platform, texts))}
    for group in platform.workers:
        note = _grace_note(platform, group)
        files[f"{worker_component(group)}.yaml"] = dump(_worker(platform, group, digest), note=note)
    files["beat.yaml"] = dump(
        _beat(platform, digest), note="One replica holds beat's lock; more may stand by."
    )
    if platform.deploy.flower.enabled:
        files["flower.yaml"] = dump(*_flower(platform, digest))
    if platform.deploy.console.enabled:
        files["console.yaml"] = dump(*_console(platform, digest))
    files.update({path: dump(*docs) for path, docs in keda_objects(platform).items()})
    return dict(sorted(files.items()))


def dump(*docs: dict[str, Any], note: str = "") -> str:
    head = f"# {HEADER}\n" + (f"# {note}\n" if note else "")
    body = "---\n".join(yaml.dump(d, Dumper=_Dumper, sort_keys=False, width=1000) for d in docs)
    return head + body


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the YAML files in the ConfigMap) as literal blocks; no
    anchors and aliases (a reader sees every value where it applies)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_Dumper.add_representer(str, _str)


def _configmap(platform: Platform, texts: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(platform, CONFIG_MAP, "config"),
        "data": texts,
    }


def _worker(platform: Platform, group: WorkerGroup, digest: str) -> dict[str, Any]:
    component = worker_component(group)
    settings = platform.kubernetes.group(group.name)
    args = [*worker_args(group, f"{group.name}@%h"), "--heartbeat-file", HEARTBEAT_FILE]
    container = _container(platform, component, args, settings.resources)
    stale = STALE_SECONDS
    if group.pool in LOOP_POOLS:
        stale = max(stale, platform.stop_timeout(group))
    container["livenessProbe"] = {
        "exec": {"command": ["/bin/sh", "-c", fresh_file_test(HEARTBEAT_FILE, stale)]},
        "initialDelaySeconds": 30,
        "periodSeconds": 30,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    # With a ScaledObject, KEDA owns the replica count: a `replicas` here would reset
    # it on every `kubectl apply`.
    replicas = None if settings.autoscaling.enabled else group.replicas
    deployment = _deployment(platform, component, container, digest, replicas)
    pod = deployment["spec"]["template"]["spec"]
    pod["terminationGracePeriodSeconds"] = platform.stop_timeout(group)
    return deployment


def fresh_file_test(path: str, seconds: int) -> str:
    """A shell test, no Python started: `path` was modified less than `seconds` ago
    (a missing file fails too: `stat` prints nothing and the arithmetic is an error)."""
    return f'test "$(( $(date +%s) - $(stat -c %Y {path}) ))" -lt {seconds}'


def _grace_note(platform: Platform, group: WorkerGroup) -> str:
    return (
        f"terminationGracePeriodSeconds {platform.stop_timeout(group)}:"
        f" {platform.stop_timeout_note(group)}"
    )


def _beat(platform: Platform, digest: str) -> dict[str, Any]:
    state_dir = platform.deploy.state_dir
    container = _container(platform, "beat", beat_args(state_dir), platform.kubernetes.beat)
    container["volumeMounts"].append({"name": "state", "mountPath": state_dir})
    # Recreate: the old scheduler stops before the new one starts, never two at once.
    deployment = _deployment(platform, "beat", container, digest, replicas=1, strategy="Recreate")
    deployment["spec"]["template"]["spec"]["volumes"].append({"name": "state", "emptyDir": {}})
    return deployment


def _flower(platform: Platform, digest: str) -> tuple[dict[str, Any], dict[str, Any]]:
    args = flower_args("0.0.0.0", FLOWER_PORT)
    container = _container(platform, "flower", args, platform.kubernetes.flower)
    container["ports"] = [{"name": "http", "containerPort": FLOWER_PORT}]
    probe = {"httpGet": {"path": "/healthcheck", "port": "http"}, "periodSeconds": 30}
    container["readinessProbe"] = probe
    container["livenessProbe"] = {**probe, "initialDelaySeconds": 30}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(platform, "poli-flower", "flower"),
        "spec": {
            "selector": selector("flower"),
            "ports": [{"name": "http", "port": FLOWER_PORT, "targetPort": "http"}],
        },
    }
    return _deployment(platform, "flower", container, digest, replicas=1), service


def _console(platform: Platform, digest: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator console: its login (POLI_WEB_PASSWORD) from the Secret like the broker's."""
    args = console_args(CONFIG_MOUNT, "0.0.0.0", CONSOLE_PORT)
    container = _container(platform, "console", args, Resources((), ()))
    container["command"] = ["polictl", *args]
    container["ports"] = [{"name": "http", "containerPort": CONSOLE_PORT}]
    container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}}
    port = {"name": "http", "port": CONSOLE_PORT, "targetPort": "http"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(platform, "poli-console", "console"),
        "spec": {"selector": selector("console"), "ports": [port]},
    }
    return _deployment(platform, "console", container, digest, replicas=1), service


def _container(
    platform: Platform, name: str, args: list[str], resources: Resources
) -> dict[str, Any]:
    environment = runtime_environment(platform, config_dir=CONFIG_MOUNT)
    container: dict[str, Any] = {
        "name": name,
        "image": platform.kubernetes.image,
        "imagePullPolicy": platform.kubernetes.image_pull_policy,
        "command": ["celery", *args],
        "env": [{"name": key, "value": value} for key, value in environment.items()],
        # Secrets (POLI_BROKER_URL, POLI_RESULT_BACKEND, ...) only from the Secret, by name.
        "envFrom": [{"secretRef": {"name": platform.kubernetes.secret}}],
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True}],
    }
    declared = {"requests": dict(resources.requests), "limits": dict(resources.limits)}
    if any(declared.values()):
        container["resources"] = {key: value for key, value in declared.items() if value}
    return container


def _deployment(
    platform: Platform,
    component: str,
    container: dict[str, Any],
    digest: str,
    replicas: int | None,
    strategy: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    if strategy:
        spec["strategy"] = {"type": strategy}
    spec["selector"] = {"matchLabels": selector(component)}
    spec["template"] = {
        # A changed ConfigMap changes this hash, so `kubectl apply` rolls the pods.
        "metadata": {
            "labels": labels(component),
            "annotations": {"poli.dev/config-sha256": digest},
        },
        "spec": {
            "containers": [container],
            "volumes": [{"name": "config", "configMap": {"name": CONFIG_MAP}}],
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(platform, f"poli-{component}", component),
        "spec": spec,
    }
