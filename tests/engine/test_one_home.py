"""Each fact has one home: defaults in the JSON Schema, derived values on the model, the
deploy rules in the config checks (so `validate` reports all that `render` would refuse)."""

from __future__ import annotations

import ast
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import model
from engine.config import load
from engine.diagnostics import did_you_mean
from engine.model import Broker, deploy, kubernetes, reliability
from polictl.main import cli

TESTS = Path(__file__).resolve().parent.parent
CONFIGS = TESTS / "configs"
ROOT = TESTS.parent
SCHEMAS = ROOT / "engine" / "schemas"
DEPLOY_CASES = sorted(  # the corpus's deploy cases that fail (some show what stays valid)
    p.name
    for p in (CONFIGS / "bad").iterdir()
    if p.name.startswith("deploy-") and ": error: " in (p / "expected.txt").read_text()
)


def schema_defaults(file: str, *pointer: str) -> dict:
    """The `default` of each property at `pointer`, read straight from the schema file."""
    node = json.loads((SCHEMAS / file).read_text())
    for step in pointer:
        node = node[step]
    return {k: v["default"] for k, v in node["properties"].items() if "default" in v}


def config(tmp_path: Path, **files: str) -> Path:
    """The base config with some files replaced."""
    target = shutil.copytree(CONFIGS / "base", tmp_path / "config")
    for name, text in files.items():
        (target / f"{name}.yaml").write_text(text)
    return target


def test_no_model_field_has_a_default_of_its_own():
    modules = (model, deploy, kubernetes, reliability)
    classes = {c for m in modules for c in vars(m).values() if dataclasses.is_dataclass(c)}
    assert len(classes) >= 15
    for cls in classes:
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"


def test_keys_left_out_take_the_schemas_defaults(tmp_path):
    tasks = (
        "retry_policies: {plain: {}}\n"
        "tasks:\n"
        "  system.echo: {handler: 'basehandlers:echo', retry: plain}\n"
        "  default.echo: {handler: 'basehandlers:echo'}\n"
    )
    platform = load(config(tmp_path, tasks=tasks), env={}).platform
    assert platform is not None
    worker = dataclasses.asdict(platform.workers[0])
    expected = schema_defaults(
        "queues.schema.json", "properties", "workers", "additionalProperties"
    )
    expected["options"] = tuple(expected["options"].items())  # the model keeps pairs
    assert {k: worker[k] for k in expected} == expected
    deploy = dataclasses.asdict(platform.deploy)
    expected = schema_defaults("queues.schema.json", "properties", "deploy")
    flower = schema_defaults("queues.schema.json", "properties", "deploy", "properties", "flower")
    console = schema_defaults("queues.schema.json", "properties", "deploy", "properties", "console")
    assert {k: deploy[k] for k in expected} == {**expected, "flower": flower, "console": console}
    policy = platform.task("system.echo").retry
    expected = schema_defaults(
        "tasks.schema.json", "properties", "retry_policies", "additionalProperties"
    )
    tuples = {"retry_on": policy.retry_on, "dont_retry_on": policy.dont_retry_on}
    assert dataclasses.asdict(policy) == {"name": "plain", **expected, **tuples}
    assert list(policy.retry_on) == expected["retry_on"]
    options = schema_defaults("tasks.schema.json", "$defs", "task_options")
    task = platform.task("default.echo")
    assert (task.retry, task.acks_late, task.ignore_result, task.rate_limit) == (
        None,  # `none`
        options["acks_late"],
        options["ignore_result"],
        options["rate_limit"],
    )
    schedule = dataclasses.asdict(platform.schedules[0])
    expected = schema_defaults(
        "schedules.schema.json", "properties", "schedules", "additionalProperties"
    )
    assert {k: schedule[k] for k in expected} == {**expected, "args": (), "kwargs": ()}
    assert (expected["args"], expected["kwargs"]) == ([], {})  # kept as tuples on the model


def test_the_file_defaults_sit_between_the_schemas_and_the_tasks_own(tmp_path):
    tasks = (
        "defaults: {acks_late: false, time_limit: 2m}\n"
        "tasks:\n"
        "  system.echo: {handler: 'basehandlers:echo', acks_late: true}\n"
        "  default.echo: {handler: 'basehandlers:echo'}\n"
    )
    platform = load(config(tmp_path, tasks=tasks), env={}).platform
    own, inherited = platform.task("system.echo"), platform.task("default.echo")
    assert (own.acks_late, own.time_limit) == (True, 120)
    assert (inherited.acks_late, inherited.time_limit, inherited.ignore_result) == (
        False,
        120,
        False,
    )


def test_derived_values_are_on_the_model():
    platform = load(ROOT / "tests" / "generators" / "configs" / "full", env={}).platform
    groups = {g.name: g for g in platform.workers}
    assert platform.longest_task(groups["alerts"]).name == "alerts.cleanup"
    assert platform.stop_timeout(groups["alerts"]) == 900 + model.STOP_MARGIN_SECONDS
    assert platform.stop_timeout_note(groups["alerts"]) == (
        "longest time_limit routed here: alerts.cleanup 900s + 30s margin"
    )
    assert platform.longest_stop_timeout == max(platform.stop_timeout(g) for g in groups.values())
    assert platform.longest_stop_timeout == 1830  # reports.export: 30m + 30s


def test_a_group_with_no_time_limit_waits_only_the_margin(tmp_path):
    platform = load(config(tmp_path), env={}).platform
    group = platform.workers[0]
    assert platform.longest_task(group) is None
    assert platform.stop_timeout(group) == model.STOP_MARGIN_SECONDS
    assert platform.stop_timeout_note(group) == "no time_limit routed here: 0s + 30s margin"


@pytest.mark.parametrize(
    ("url", "backend", "reached_at", "expected"),
    [
        ("embedded", "broker", "redis+socket:///d/redis.sock", "redis+socket:///d/redis.sock"),
        ("embedded", None, "redis+socket:///d/redis.sock", None),  # `none` means none
        ("redis://h/0", None, "redis://h/0", None),
        ("redis://h/0", "broker", "redis://h/0", "redis://h/0"),
        ("amqp://h//", "broker", "amqp://h//", None),
        ("amqp://h//", "redis://r/1", "amqp://h//", "redis://r/1"),
    ],
)
def test_where_results_go_is_decided_by_the_model(url, backend, reached_at, expected):
    broker = Broker(url, backend, result_expires=86400, transport_options=(), state_url=None)
    assert broker.result_backend_for(reached_at) == expected


def test_did_you_mean():
    assert did_you_mean("defualt", ["alerts", "default"]) == "did you mean 'default'?"
    assert did_you_mean("zzz", ["alerts", "default"]) is None


@pytest.mark.parametrize(
    ("user", "valid"),
    [("", True), ("_svc", True), ("a" * 31, True), ("a" * 32, False), ("1poli", False)],
)
def test_one_rule_for_account_names(user, valid, tmp_path):
    queues = (CONFIGS / "base" / "queues.yaml").read_text() + f"deploy: {{user: '{user}'}}\n"
    result = load(config(tmp_path, queues=queues), env={})
    assert result.ok is valid, result.diagnostics


@pytest.mark.parametrize("case", DEPLOY_CASES)
@pytest.mark.parametrize("fmt", ["systemd", "supervisor", "compose"])
def test_render_refuses_nothing_that_validate_accepts(case, fmt, tmp_path):
    """What no generated file can carry is a diagnostic at its position, before any render."""
    case_dir = CONFIGS / "bad" / case
    files = {p.stem: p.read_text() for p in case_dir.glob("*.yaml")}
    config_dir = config(tmp_path, **files)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-C", str(config_dir), "render", fmt, "-o", str(out)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (case_dir / "expected.txt").read_text()
    assert not out.exists()


def test_generators_raise_nothing():
    """They take a valid model; a user's mistake is the config checks' to report."""
    for path in sorted((ROOT / "generators").glob("*.py")):
        tree = ast.parse(path.read_text())
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Raise)], path.name
        imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert "engine.diagnostics" not in imports, path.name


def test_validate_for_names_every_format_with_checks_of_its_own():
    from engine.config.pipeline import TARGET_CHECKS
    from polictl.main import TARGETS

    assert sorted(TARGETS) == sorted(TARGET_CHECKS)
