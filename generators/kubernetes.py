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

from engine.model import BEAT_HEARTBEAT_ENV, Platform, WorkerGroup
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
from generators.kubernetes_security import (
    container_security,
    disruption_budget,
    network_policies,
    pod_security,
    secret_env,
    writable_dirs,
)

CONFIG_MOUNT = "/etc/poli/config"  # the ConfigMap, read-only: POLI_CONFIG_DIR
CONFIG_MAP = "poli-config"
FLOWER_PORT = 5555
CONSOLE_PORT = 5556
HEARTBEAT_FILE = "/tmp/poli-worker.alive"  # touched by the worker: engine/runtime/heartbeat.py
BEAT_HEARTBEAT_FILE = "/tmp/poli-beat.alive"  # touched by beat's every tick: the same module
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
    files["networkpolicy.yaml"] = dump(*network_policies(platform))
    for group in platform.workers:
        note = _grace_note(platform, group)
        worker = _worker(platform, group, digest, texts)
        budget = disruption_budget(platform, group)
        files[f"{worker_component(group)}.yaml"] = dump(worker, budget, note=note)
    files["beat.yaml"] = dump(
        _beat(platform, digest, texts), note="One replica holds beat's lock; more may stand by."
    )
    if platform.deploy.flower.enabled:
        files["flower.yaml"] = dump(*_flower(platform, digest, texts))
    if platform.deploy.console.enabled:
        files["console.yaml"] = dump(*_console(platform, digest, texts))
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


def _worker(
    platform: Platform, group: WorkerGroup, digest: str, texts: Mapping[str, str]
) -> dict[str, Any]:
    component = worker_component(group)
    settings = platform.kubernetes.group(group.name)
    args = [*worker_args(group, f"{group.name}@%h"), "--heartbeat-file", HEARTBEAT_FILE]
    container = _container(platform, component, args, settings.resources, texts)
    stale = STALE_SECONDS
    if group.pool in LOOP_POOLS:
        stale = max(stale, platform.stop_timeout(group))
    container["livenessProbe"] = fresh_file_probe(HEARTBEAT_FILE, stale)
    # With a ScaledObject, KEDA owns the replica count: a `replicas` here would reset
    # it on every `kubectl apply`.
    replicas = None if settings.autoscaling.enabled else group.replicas
    deployment = _deployment(platform, component, container, digest, replicas)
    pod = deployment["spec"]["template"]["spec"]
    pod["terminationGracePeriodSeconds"] = platform.stop_timeout(group)
    return deployment


def fresh_file_probe(path: str, seconds: int) -> dict[str, Any]:
    return {
        "exec": {"command": ["/bin/sh", "-c", fresh_file_test(path, seconds)]},
        "initialDelaySeconds": 30,
        "periodSeconds": 30,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }


def fresh_file_test(path: str, seconds: int) -> str:
    """A shell test, no Python started: `path` was modified less than `seconds` ago
    (a missing file fails too: `stat` prints nothing and the arithmetic is an error)."""
    return f'test "$(( $(date +%s) - $(stat -c %Y {path}) ))" -lt {seconds}'


def _grace_note(platform: Platform, group: WorkerGroup) -> str:
    return (
        f"terminationGracePeriodSeconds {platform.stop_timeout(group)}:"
        f" {platform.stop_timeout_note(group)}"
    )


def _beat(platform: Platform, digest: str, texts: Mapping[str, str]) -> dict[str, Any]:
    args = beat_args(platform.deploy.state_dir)
    container = _container(platform, "beat", args, platform.kubernetes.beat, texts)
    container["env"].append({"name": BEAT_HEARTBEAT_ENV, "value": BEAT_HEARTBEAT_FILE})
    # Beat ticks at least every RELOAD_CHECK_SECONDS, standing by or active.
    container["livenessProbe"] = fresh_file_probe(BEAT_HEARTBEAT_FILE, STALE_SECONDS)
    # Recreate: the old scheduler stops before the new one starts, never two at once.
    return _deployment(platform, "beat", container, digest, replicas=1, strategy="Recreate")


def _flower(
    platform: Platform, digest: str, texts: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    args = flower_args("0.0.0.0", FLOWER_PORT)
    container = _container(platform, "flower", args, platform.kubernetes.flower, texts, web=True)
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


def _console(
    platform: Platform, digest: str, texts: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The operator console: its login (POLI_WEB_PASSWORD) from the Secret, as Flower's."""
    args = console_args(CONFIG_MOUNT, "0.0.0.0", CONSOLE_PORT)
    # a light web app like Flower: Flower's declared resources serve it too
    container = _container(platform, "console", args, platform.kubernetes.flower, texts, web=True)
    container["command"] = ["polictl", *args]
    container["ports"] = [{"name": "http", "containerPort": CONSOLE_PORT}]
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 30}
    container["readinessProbe"] = probe
    container["livenessProbe"] = {**probe, "initialDelaySeconds": 30}
    port = {"name": "http", "port": CONSOLE_PORT, "targetPort": "http"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(platform, "poli-console", "console"),
        "spec": {"selector": selector("console"), "ports": [port]},
    }
    return _deployment(platform, "console", container, digest, replicas=1), service


def _container(
    platform: Platform,
    name: str,
    args: list[str],
    resources: Resources,
    texts: Mapping[str, str],
    web: bool = False,
) -> dict[str, Any]:
    environment = runtime_environment(platform, config_dir=CONFIG_MOUNT)
    mounts = [{"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True}]
    mounts += [{"name": n, "mountPath": path} for n, path in writable_dirs(platform).items()]
    container: dict[str, Any] = {
        "name": name,
        "image": platform.kubernetes.image,
        "imagePullPolicy": platform.kubernetes.image_pull_policy,
        "command": ["celery", *args],
        # Secrets (POLI_BROKER_URL, ...) only from the Secret, each by its key.
        "env": [{"name": key, "value": value} for key, value in environment.items()]
        + secret_env(platform, texts, web),
        "volumeMounts": mounts,
        "securityContext": container_security(),
    }
    declared = {"requests": dict(resources.requests), "limits": dict(resources.limits)}
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
            **pod_security(),
            "containers": [container],
            "volumes": [{"name": "config", "configMap": {"name": CONFIG_MAP}}]
            + [{"name": name, "emptyDir": {}} for name in writable_dirs(platform)],
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(platform, f"poli-{component}", component),
        "spec": spec,
    }
