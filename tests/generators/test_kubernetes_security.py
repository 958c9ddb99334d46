"""Every pod `polictl render kubernetes` writes passes the Pod Security Standards'
"restricted" profile (tests/generators/pod_security.py, written from the specification),
beside kubernetes-validate (test_kubernetes.py), and carries the review's extras: a
read-only root file system, resources, no service-account token, secrets by key, a
PodDisruptionBudget per worker group, NetworkPolicies and probes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pod_security import containers, violations
from render_cases import load_case
from test_kubernetes import check, objects

from generators.compose import render_compose
from generators.kubernetes import render_kubernetes

CASES = ["cluster", "stack"]


def pods(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        obj["metadata"]["name"]: obj["spec"]["template"]["spec"]
        for obj in objects(files)
        if obj["kind"] == "Deployment"
    }


@pytest.mark.parametrize("case", CASES)
def test_every_pod_meets_the_restricted_profile(case: str) -> None:
    found = pods(render_kubernetes(load_case(case)))
    assert len(found) >= 3
    assert {name: violations(pod) for name, pod in found.items()} == {name: [] for name in found}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("allowPrivilegeEscalation",), None, "allowPrivilegeEscalation is not false"),
        (("runAsNonRoot",), False, "runAsNonRoot is not true"),
        (("capabilities", "drop"), [], "capabilities do not drop ALL"),
        (("capabilities", "add"), ["NET_ADMIN"], "adds capabilities ['NET_ADMIN']"),
        (("seccompProfile", "type"), "Unconfined", "seccompProfile Unconfined"),
        (("privileged",), True, "privileged"),
        (("runAsUser",), 0, "runAsUser 0"),
    ],
)
def test_the_checker_catches_each_control(path: tuple, value: Any, expected: str) -> None:
    pod = copy.deepcopy(pods(render_kubernetes(load_case("cluster")))["poli-beat"])
    context = pod["containers"][0]["securityContext"]
    for key in path[:-1]:
        context = context[key]
    context[path[-1]] = value
    assert f"beat: {expected}" in violations(pod)


def test_the_checker_catches_pod_level_controls() -> None:
    pod = copy.deepcopy(pods(render_kubernetes(load_case("cluster")))["poli-beat"])
    pod["hostNetwork"] = True
    pod["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    found = violations(pod)
    assert "host namespaces: hostNetwork" in found
    assert "volume host: type ['hostPath']" in found


@pytest.mark.parametrize("case", CASES)
def test_every_container_is_locked_down(case: str) -> None:
    for name, pod in pods(render_kubernetes(load_case(case))).items():
        assert pod["automountServiceAccountToken"] is False, name
        writable = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        assert writable == {"tmp", "state", "logs"}, name
        for container in containers(pod):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            mounts = {m["name"]: m for m in container["volumeMounts"]}
            assert mounts["config"]["readOnly"] is True
            assert mounts["tmp"]["mountPath"] == "/tmp"  # the heartbeat file is there
            assert "envFrom" not in container
            assert set(container["resources"]) == {"requests", "limits"}
            assert "memory" in container["resources"]["limits"]
            assert container["livenessProbe"], name


def test_secrets_by_key_and_the_web_login_for_the_web_uis_only() -> None:
    found = pods(render_kubernetes(load_case("cluster")))
    refs = {
        name: {
            e["name"]: e["valueFrom"]["secretKeyRef"]["optional"]
            for e in pod["containers"][0]["env"]
            if "valueFrom" in e
        }
        for name, pod in found.items()
    }
    # The cluster case's YAML: ${POLI_BROKER_URL} and ${POLI_RESULT_BACKEND:-broker}.
    config = {"POLI_BROKER_URL": False, "POLI_RESULT_BACKEND": True}
    assert refs["poli-beat"] == config
    assert refs["poli-worker-alerts"] == config
    assert refs["poli-flower"] == {**config, "POLI_WEB_USER": True, "POLI_WEB_PASSWORD": False}
    assert refs["poli-console"] == refs["poli-flower"]


def test_memory_limit_is_the_limit_unless_declared() -> None:
    found = pods(render_kubernetes(load_case("cluster")))
    limits = {name: pod["containers"][0]["resources"]["limits"] for name, pod in found.items()}
    assert limits == {
        "poli-worker-default": {"memory": "786432Ki"},  # memory_limit: 768M
        "poli-worker-alerts": {"cpu": "1", "memory": "512Mi"},  # declared over memory_limit: 2G
        "poli-worker-reports-solo": {"memory": "1Gi"},  # the schema's default
        "poli-beat": {"memory": "1Gi"},
        "poli-flower": {"memory": "1Gi"},
        "poli-console": {"memory": "1Gi"},  # Flower's resources
    }


def test_budgets_and_network_policies() -> None:
    files = render_kubernetes(load_case("cluster"))
    found = objects(files)
    for obj in found:
        check(obj)
    budgets = {o["metadata"]["name"] for o in found if o["kind"] == "PodDisruptionBudget"}
    assert budgets == {"poli-worker-default", "poli-worker-alerts", "poli-worker-reports-solo"}
    policies = {o["metadata"]["name"]: o["spec"] for o in found if o["kind"] == "NetworkPolicy"}
    assert policies["poli-deny-all"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policies["poli-deny-all"] and "egress" not in policies["poli-deny-all"]
    egress = policies["poli-broker"]["egress"]
    assert egress[1] == {"ports": [{"protocol": "TCP", "port": 6379}]}
    (rule,) = policies["poli-flower"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"poli.dev/flower-access": "true"}}}]


def test_the_image_runs_as_the_pods_numeric_user() -> None:
    dockerfile = render_compose(load_case("cluster"))["Dockerfile"]
    assert "\nUSER 10001:10001\n" in dockerfile
    pod = pods(render_kubernetes(load_case("cluster")))["poli-beat"]
    context = pod["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (10001, 10001)
