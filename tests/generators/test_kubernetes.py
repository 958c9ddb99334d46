"""`polictl render kubernetes`: every object passes the Kubernetes API's own schema
(kubernetes-validate, a pinned Kubernetes version) or KEDA's published CRD schema
(tests/generators/keda/), secrets stay out, and wrong inputs are refused clearly.
The files themselves are compared with tests/golden/kubernetes/ by test_golden.py."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner
from render_cases import CONFIGS, EXTERNAL_BROKER, load_case

from generators.kubernetes import render_kubernetes
from polictl.main import cli

KUBERNETES_VERSION = "1.34"  # the API the manifests are checked against
KEDA_VERSION = "v2.20.2"  # the CRDs under keda/ (see keda/README.md)
KEDA = Path(__file__).resolve().parent / "keda"
CRDS = {
    "ScaledObject": "keda.sh_scaledobjects.yaml",
    "TriggerAuthentication": "keda.sh_triggerauthentications.yaml",
}
PASSWORDS = "redis://:s3cret-password@broker.internal:6379/0"


def objects(files: dict[str, str]) -> list[dict[str, Any]]:
    return [doc for text in files.values() for doc in yaml.safe_load_all(text) if doc]


@cache
def crd_validator(kind: str) -> jsonschema.Draft7Validator:
    crd = yaml.safe_load((KEDA / CRDS[kind]).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return jsonschema.Draft7Validator(strict(version["schema"]["openAPIV3Schema"]))


def strict(schema: Any) -> Any:
    """Reject unknown fields, as `kubectl apply` does (server-side field validation
    is strict by default); the CRD schema itself only prunes them."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        if not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


def check_keda(obj: dict[str, Any]) -> None:
    crd_validator(obj["kind"]).validate(obj)
    spec = obj["spec"]
    # The ScaledObject CRD's one CEL rule (x-kubernetes-validations), which jsonschema
    # cannot run: minReplicaCount <= maxReplicaCount.
    if obj["kind"] == "ScaledObject":
        assert spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 100)


def check(obj: dict[str, Any]) -> None:
    if obj["apiVersion"].startswith("keda.sh/"):
        check_keda(obj)
    else:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("case", ["cluster", "stack"])
def test_every_object_passes_its_schema(case: str) -> None:
    found = objects(render_kubernetes(load_case(case)))
    for obj in found:
        check(obj)
    kinds = sorted({obj["kind"] for obj in found})
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ScaledObject",
        "Service",  # Flower's (cluster) and the console's (both)
        "TriggerAuthentication",
    ]


def test_the_keda_crd_has_only_the_rule_this_test_checks() -> None:
    text = (KEDA / CRDS["ScaledObject"]).read_text()
    assert text.count("rule:") == 1
    assert "self.minReplicaCount <= (has(self.maxReplicaCount)" in text


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("spec", "replicas"), "many", "'many' is not of type 'integer'"),
        (("spec", "template", "spec", "restart"), "Always", "Additional properties"),
    ],
)
def test_kubernetes_validate_rejects_a_broken_deployment(path, value, message) -> None:
    (deployment,) = [o for o in objects(render_kubernetes(load_case("cluster"))) if _is(o)]
    broken = copy.deepcopy(deployment)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError, match=message):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _is(obj: dict[str, Any]) -> bool:
    return obj["kind"] == "Deployment" and obj["metadata"]["name"] == "poli-worker-reports-solo"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda so: so["spec"]["triggers"][0]["metadata"].update(listLength=5), "not of type"),
        (lambda so: so["spec"].update(minReplicas=1), "Additional properties"),
        (lambda so: so["spec"].pop("scaleTargetRef"), "'scaleTargetRef' is a required"),
    ],
)
def test_the_keda_schema_rejects_a_broken_scaled_object(change, message) -> None:
    files = render_kubernetes(load_case("cluster"))
    scaled = yaml.safe_load(files["keda/worker-alerts.yaml"])
    change(scaled)
    with pytest.raises(jsonschema.ValidationError, match=message):
        check_keda(scaled)


def test_scaled_object_reads_each_queue_list_of_its_group() -> None:
    files = render_kubernetes(load_case("cluster"))
    scaled = yaml.safe_load(files["keda/worker-alerts.yaml"])
    assert scaled["spec"]["scaleTargetRef"] == {"name": "poli-worker-alerts"}
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (0, 20)
    triggers = scaled["spec"]["triggers"]
    assert [t["metadata"]["listName"] for t in triggers] == ["alerts", "alerts.urgent"]
    assert {t["metadata"]["address"] for t in triggers} == {"broker.internal:6379"}
    assert {t["metadata"]["listLength"] for t in triggers} == {"5"}
    assert {t["authenticationRef"]["name"] for t in triggers} == {"poli-broker"}
    # `default` takes the common bounds, with min_replicas from its `replicas: 2`.
    default = yaml.safe_load(files["keda/worker-default.yaml"])["spec"]
    assert (default["minReplicaCount"], default["maxReplicaCount"]) == (2, 8)
    assert default["triggers"][0]["metadata"]["listLength"] == "20"
    # A group with autoscaling off keeps its fixed replicas and has no ScaledObject.
    assert "keda/worker-reports-solo.yaml" not in files
    assert next(yaml.safe_load_all(files["worker-reports-solo.yaml"]))["spec"]["replicas"] == 1
    assert "replicas" not in next(yaml.safe_load_all(files["worker-alerts.yaml"]))["spec"]


@pytest.mark.parametrize(
    ("url", "metadata", "auth"),
    [
        ("rediss://:pw@10.0.0.5/3", {"address": "10.0.0.5:6379", "enableTLS": "true"}, True),
        ("redis://[fd00::5]:7000", {"address": "[fd00::5]:7000", "databaseIndex": "0"}, False),
    ],
)
def test_keda_reads_address_tls_and_database_from_the_broker_url(url, metadata, auth) -> None:
    files = render_kubernetes(load_case("cluster", broker_url=url))
    trigger = yaml.safe_load(files["keda/worker-default.yaml"])["spec"]["triggers"][0]
    assert trigger["metadata"].items() >= metadata.items()
    assert ("authenticationRef" in trigger) is auth
    assert ("keda/trigger-authentication.yaml" in files) is auth


def test_a_username_is_read_from_the_secret_too() -> None:
    files = render_kubernetes(load_case("cluster", broker_url="redis://poli:pw@redis:6379/0"))
    auth = yaml.safe_load(files["keda/trigger-authentication.yaml"])
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "username", "name": "poli-env", "key": "POLI_BROKER_USERNAME"},
        {"parameter": "password", "name": "poli-env", "key": "POLI_BROKER_PASSWORD"},
    ]
    check(auth)


def test_no_secret_value_is_ever_written() -> None:
    platform = load_case("cluster", broker_url=PASSWORDS)
    backend = "redis://:backend-s3cret@results.internal:6379/1"
    platform = dataclasses.replace(
        platform, broker=dataclasses.replace(platform.broker, result_backend=backend)
    )
    text = "".join(render_kubernetes(platform).values())
    assert "s3cret" not in text
    assert "results.internal" not in text
    assert text.count("name: poli-env\n") > 3  # the Secret, referenced by name only


def test_every_pod_reads_the_secret_and_the_config_map() -> None:
    for obj in objects(render_kubernetes(load_case("cluster"))):
        if obj["kind"] == "Deployment":
            pod = obj["spec"]["template"]["spec"]
            (container,) = pod["containers"]
            refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
            assert {ref["name"] for ref in refs} == {"poli-env"}  # by key: test_kubernetes_security
            assert {"name": "config", "configMap": {"name": "poli-config"}} in pod["volumes"]


def test_grace_period_is_the_stop_timeout_rule_and_beat_is_one_recreated_pod() -> None:
    platform = load_case("cluster")
    files = render_kubernetes(platform)
    for group in platform.workers:
        name = "worker-" + group.name.replace("_", "-")
        pod = next(yaml.safe_load_all(files[f"{name}.yaml"]))["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] == platform.stop_timeout(group)
    solo = next(g for g in platform.workers if g.name == "reports_solo")
    assert platform.stop_timeout(solo) == 1830  # 30m + 30s
    beat = yaml.safe_load(files["beat.yaml"])["spec"]
    assert (beat["replicas"], beat["strategy"]) == (1, {"type": "Recreate"})


def test_the_config_map_holds_the_yaml_files_as_written() -> None:
    platform = load_case("cluster")
    data = yaml.safe_load(render_kubernetes(platform)["configmap.yaml"])["data"]
    on_disk = {p.name: p.read_text() for p in (CONFIGS / "cluster").glob("*.yaml")}
    assert data == on_disk


def test_a_changed_config_changes_the_pods_annotation() -> None:
    platform = load_case("cluster")
    first = render_kubernetes(platform, {"queues.yaml": "a: 1\n"})
    second = render_kubernetes(platform, {"queues.yaml": "a: 2\n"})
    assert first["beat.yaml"] != second["beat.yaml"]  # only the config's hash is in it


def render_cli(config_dir: Path, *args: str, url: str = EXTERNAL_BROKER):
    command = ["-C", str(config_dir), "render", "kubernetes", *args]
    return CliRunner().invoke(cli, command, env={"POLI_BROKER_URL": url})


def test_render_writes_then_check_passes_then_removes_a_stale_scaled_object(tmp_path) -> None:
    out = tmp_path / "k8s"
    config = shutil.copytree(CONFIGS / "cluster", tmp_path / "config")
    assert render_cli(config, "-o", str(out)).exit_code == 0
    result = render_cli(config, "-o", str(out), "--check")
    assert (result.exit_code, result.stdout) == (0, "")
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("max_replicas: 8,", "enabled: false,"))
    result = render_cli(config, "-o", str(out), "--check")
    assert result.exit_code == 1
    assert "--- a/keda/worker-default.yaml\n+++ /dev/null\n" in result.stdout
    result = render_cli(config, "-o", str(out))
    assert f"removed stale {out / 'keda/worker-default.yaml'}\n" in result.stdout
    assert not (out / "keda" / "worker-default.yaml").exists()


def refusals(config: Path, broker_url: str = EXTERNAL_BROKER) -> str:
    """What `validate --for kubernetes` says (and `render kubernetes` refuses with)."""
    command = ["-C", str(config), "validate", "--for", "kubernetes"]
    result = CliRunner().invoke(cli, command, env={"POLI_BROKER_URL": broker_url})
    assert result.exit_code == 1, result.output
    return result.output


def test_the_embedded_broker_is_refused(tmp_path) -> None:
    result = render_cli(CONFIGS / "full", "-o", str(tmp_path / "out"))
    expected = (
        "queues.yaml:3:8: error: the embedded broker cannot run on Kubernetes:"
        " each pod would start its own Redis\n"
        "  hint: set POLI_BROKER_URL (broker.url in queues.yaml) to a Redis the cluster"
        " reaches, e.g. redis://redis.poli.svc:6379/0\n"
        "1 error, 0 warnings\n"
    )
    assert (result.exit_code, result.output) == (1, expected)
    assert not (tmp_path / "out").exists()
    assert refusals(CONFIGS / "full", broker_url="embedded") == expected


def test_a_password_written_in_queues_yaml_is_refused(tmp_path) -> None:
    config = shutil.copytree(CONFIGS / "cluster", tmp_path / "config")
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("${POLI_BROKER_URL}", PASSWORDS))
    result = render_cli(config, "-o", str(tmp_path / "out"))
    assert (result.exit_code, result.output) == (
        1,
        "queues.yaml:4:8: error: queues.yaml holds a password in a URL;"
        " the ConfigMap would publish it\n"
        "  hint: write the URL as ${POLI_BROKER_URL} (or ${POLI_RESULT_BACKEND})"
        " and keep its value in the Secret\n"
        "queues.yaml:18:59: warning: worker group 'reports_solo': pool 'solo' enforces no time"
        " limits, so these tasks would lose theirs: reports.export\n"
        "  hint: use pool prefork, or remove time_limit and soft_time_limit from those tasks\n"
        "1 error, 1 warning\n",
    )
    assert not (tmp_path / "out").exists()


def test_a_broker_keda_cannot_read_is_refused_unless_autoscaling_is_off(tmp_path) -> None:
    amqp = "amqp://guest:pw@rabbit:5672//"
    assert refusals(CONFIGS / "cluster", amqp) == (
        "queues.yaml:4:8: error: KEDA's redis scaler reads queue lengths from a redis:// or"
        " rediss:// broker; this broker is amqp://\n"
        "  hint: set kubernetes.autoscaling.enabled: false in queues.yaml to render fixed"
        " replicas without ScaledObjects\n"
        "queues.yaml:18:59: warning: worker group 'reports_solo': pool 'solo' enforces no time"
        " limits, so these tasks would lose theirs: reports.export\n"
        "  hint: use pool prefork, or remove time_limit and soft_time_limit from those tasks\n"
        "1 error, 1 warning\n"
    )
    config = shutil.copytree(CONFIGS / "cluster", tmp_path / "config")
    queues = config / "queues.yaml"
    text = queues.read_text().replace(
        "autoscaling: {max_replicas: 8, list_length: 20}", "autoscaling: {enabled: false}"
    )
    text = text.replace("autoscaling: {min_replicas: 0, max_replicas: 20, list_length: 5}", "")
    queues.write_text(text)
    result = CliRunner().invoke(
        cli,
        ["-C", str(config), "render", "kubernetes", "-o", str(tmp_path / "out")],
        env={"POLI_BROKER_URL": amqp},
    )
    assert result.exit_code == 0, result.output
    files = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")]
    assert not [path for path in files if path.startswith("keda")]
    assert "pw" not in "".join(p.read_text() for p in (tmp_path / "out").glob("*.yaml"))


def test_group_names_that_meet_on_kubernetes_are_refused(tmp_path) -> None:
    config = shutil.copytree(CONFIGS / "cluster", tmp_path / "config")
    queues = config / "queues.yaml"
    twin = "  reports-solo: {queues: [reports]}\n"
    queues.write_text(queues.read_text().replace("deploy:\n", twin + "deploy:\n"))
    result = render_cli(config, "-o", str(tmp_path / "out"))
    assert (result.exit_code, result.output) == (
        1,
        "queues.yaml:18:59: warning: worker group 'reports_solo': pool 'solo' enforces no time"
        " limits, so these tasks would lose theirs: reports.export\n"
        "  hint: use pool prefork, or remove time_limit and soft_time_limit from those tasks\n"
        "queues.yaml:19:3: error: worker groups 'reports_solo' and 'reports-solo' are both"
        " 'worker-reports-solo' on Kubernetes\n"
        "  hint: rename one of them: Kubernetes names have no `_` or `.`\n"
        "1 error, 1 warning\n",
    )


def test_an_overlay_rendered_with_e_is_in_the_config_map_and_the_pods_load_it(tmp_path) -> None:
    config = shutil.copytree(CONFIGS / "cluster", tmp_path / "config")
    (config / "queues.prod.yaml").write_text("kubernetes: {namespace: prod}\n")
    command = ["-C", str(config), "-e", "prod", "render", "kubernetes", "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, command, env={"POLI_BROKER_URL": EXTERNAL_BROKER})
    assert result.exit_code == 0, result.output
    configmap = yaml.safe_load((tmp_path / "out" / "configmap.yaml").read_text())
    assert sorted(configmap["data"]) == [
        "queues.prod.yaml",
        "queues.yaml",
        "schedules.yaml",
        "tasks.yaml",
    ]
    assert configmap["metadata"]["namespace"] == "prod"
    beat = yaml.safe_load((tmp_path / "out" / "beat.yaml").read_text())
    env = beat["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "POLI_ENVIRONMENT", "value": "prod"} in env


def test_a_broker_url_without_a_usable_port_is_refused() -> None:
    assert refusals(CONFIGS / "cluster", "redis://:pw@broker:port/0") == (
        "queues.yaml:4:8: error: the broker URL has no usable host, port and database for KEDA"
        " (redis://...)\n"
        "  hint: write it as redis://[:PASSWORD@]HOST[:PORT][/DB]\n"
        "queues.yaml:18:59: warning: worker group 'reports_solo': pool 'solo' enforces no time"
        " limits, so these tasks would lose theirs: reports.export\n"
        "  hint: use pool prefork, or remove time_limit and soft_time_limit from those tasks\n"
        "1 error, 1 warning\n"
    )
