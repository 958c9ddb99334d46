"""A handler's signature and type hints are its input contract (engine/inputs.py): the
checks, their messages, the JSON Schema `polictl tasks` prints, and eager mode."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsonschema
import pytest

from engine.config import load
from engine.inputs import InvalidTaskInput, contract_for
from engine.runtime.app.build import build_app

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "configs" / "minimal"
EXPORT = (
    "handlers.reports:export_report(kind: str, format: str = 'csv', report_id: int | None = None,"
    " start: str | None = None, end: str | None = None)"
)


def test_the_issue_examples_do_not_fit_and_say_why() -> None:
    export = contract_for("handlers.reports:export_report")
    with pytest.raises(InvalidTaskInput) as refused:
        export.check("reports.export", [], {"format": "xlsx"})
    assert str(refused.value) == (
        f"reports.export: arguments do not fit {EXPORT}: missing a required argument: 'kind'"
    )
    cleanup = contract_for("handlers.alerts:cleanup_alerts")
    assert [m.message for m in cleanup.misfits([], {"older_than": 3})] == [
        "got an unexpected keyword argument 'older_than'"
    ]


@pytest.mark.parametrize(
    ("args", "kwargs", "messages"),
    [
        ([], {"kind": "records"}, []),
        (["records", "json", 3], {}, []),
        ([], {"kind": 3}, ["kind: input should be a valid string, got 3"]),
        (
            [],
            {"kind": "x", "report_id": "3"},
            ["report_id: input should be a valid integer, got '3'"],
        ),
        (["x", "csv", True], {}, ["report_id: input should be a valid integer, got True"]),
        (["x"], {"kind": "y"}, ["multiple values for argument 'kind'"]),
        (["x", "csv", None, None, None, 6], {}, ["too many positional arguments"]),
    ],
)
def test_values_must_have_the_hinted_types_strictly(args, kwargs, messages) -> None:
    misfits = contract_for("handlers.reports:export_report").misfits(args, kwargs)
    assert [m.message for m in misfits] == messages


def test_the_json_schema_refuses_what_the_check_refuses() -> None:
    contract = contract_for("handlers.alerts:cleanup_alerts")
    schema = contract.json_schema("alerts.cleanup")
    assert schema["properties"] == {
        "older_than_days": {"type": "integer", "default": 90},
        "batch_size": {"type": "integer", "default": 500},
    }
    assert schema["additionalProperties"] is False
    for kwargs in ({"older_than": 3}, {"older_than_days": "3"}, {"batch_size": None}, {}):
        fits = not contract.misfits([], kwargs)
        assert jsonschema.Draft202012Validator(schema).is_valid(kwargs) == fits, kwargs


def test_variadic_handlers_check_each_extra_value(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "variadic.py").write_text(
        "def total(first: int, *rest: int, **labels: str) -> int:\n    return first\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    contract = contract_for("variadic:total")
    misfits = contract.misfits([1, 2, "3"], {"colour": 4})
    assert [(m.where, m.message) for m in misfits] == [
        (("args", 2), "rest.1: input should be a valid integer, got '3'"),
        (("kwargs", "colour"), "labels.colour: input should be a valid string, got 4"),
    ]
    schema = contract.json_schema("total")
    assert schema["additionalProperties"] == {"type": "string"}
    assert schema["x-varargs"] == {"name": "rest", "items": {"type": "integer"}}


def _minimal_with(tmp_path: Path, overlay: str | None = None) -> Path:
    target = tmp_path / "config"
    shutil.copytree(MINIMAL, target)
    if overlay:
        (target / "tasks.development.yaml").write_text(overlay)
    return target


def test_an_overlay_switches_eager_mode_on_and_inputs_are_still_checked(tmp_path: Path) -> None:
    config = _minimal_with(tmp_path, "eager: true\n")
    env = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}  # nothing listens: eager never sends
    assert build_app(load(config, env=env).platform).conf.task_always_eager is False
    app = build_app(load(config, "development", env=env).platform)
    assert (app.conf.task_always_eager, app.conf.task_eager_propagates) == (True, True)
    assert app.tasks["system.sleep"].delay(0.01).get() == 0.01
    with pytest.raises(InvalidTaskInput, match="seconds: input should be a valid number"):
        app.tasks["system.sleep"].delay("0.01")
    with pytest.raises(InvalidTaskInput, match="got an unexpected keyword argument 'secs'"):
        app.tasks["system.sleep"].apply(kwargs={"secs": 1})


def test_eager_results_stay_in_memory_and_send_task_still_publishes(tmp_path, redis_url) -> None:
    """README, eager mode's caveats: results are EagerResults, nothing reaches the result
    backend; `app.send_task("name")` is not eager, it still publishes to the broker."""
    import redis

    config = _minimal_with(tmp_path, "eager: true\n")
    app = build_app(load(config, "development", env={"POLI_BROKER_URL": redis_url}).platform)
    client = redis.Redis.from_url(redis_url)
    ran = app.tasks["system.echo"].delay("here")
    assert (type(ran).__name__, ran.get()["value"]) == ("EagerResult", "here")
    assert client.keys("celery-task-meta-*") == [] and client.llen("system") == 0
    with pytest.warns(Warning, match="task_always_eager has no effect on send_task"):
        sent = app.send_task("system.echo", args=["there"])  # Celery says so too
    assert type(sent).__name__ == "AsyncResult" and client.llen("system") == 1
    app.close()
    client.close()
