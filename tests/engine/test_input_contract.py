"""InputContract on handlers written here: the JSON Schema `polictl tasks` prints, whole;
every misfit reported at once; long values cut; the hints of classes, callable objects and
partials; and the messages when a handler's hints cannot be had. Expected values by hand."""

from __future__ import annotations

import functools

import pytest

from engine.imports import ImportProblem
from engine.inputs import InputContract, InvalidTaskInput

SCHEMA = "https://json-schema.org/draft/2020-12/schema"


class Thing:
    """Not JSON: described in the schema, never a default."""


def report(kind: str, count: int = 3, thing: Thing | None = None, *extra: int, **options: str):
    return kind


def plain(a: int, b: object = Thing(), c: float = float("nan")):
    return a


def anything(*values, **rest):
    return rest


class Job:
    def __init__(self, size: int) -> None:
        self.size = size


class Runner:
    def __call__(self, steps: int) -> int:
        return steps


def test_the_schema_of_every_parameter_kind() -> None:
    assert InputContract("m:report", report).json_schema("t.report") == {
        "$schema": SCHEMA,
        "title": "t.report",
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "count": {"type": "integer", "default": 3},
            "thing": {
                "anyOf": [{"description": "a Python Thing (not JSON)"}, {"type": "null"}],
                "default": None,
            },
        },
        "required": ["kind"],
        "additionalProperties": {"type": "string"},
        "x-varargs": {"name": "extra", "items": {"type": "integer"}},
    }


def test_defaults_that_are_not_json_are_left_out_and_no_extra_keyword_is_allowed() -> None:
    assert InputContract("m:plain", plain).json_schema("t.plain") == {
        "$schema": SCHEMA,
        "title": "t.plain",
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {}, "c": {"type": "number"}},
        "required": ["a"],
        "additionalProperties": False,
    }


def test_untyped_variadics_take_anything() -> None:
    assert InputContract("m:anything", anything).json_schema("t.any") == {
        "$schema": SCHEMA,
        "title": "t.any",
        "type": "object",
        "properties": {},
        "additionalProperties": True,
        "x-varargs": {"name": "values", "items": {}},
    }


def test_every_misfit_is_reported_at_once_joined_by_semicolons() -> None:
    contract = InputContract("m:report", report)
    misfits = contract.misfits(["k", "3"], {"zzz": 1, "thing": 5}) + contract.misfits(
        [], {"count": 1}
    )
    assert [(m.where, m.message, m.on_key) for m in misfits] == [
        (("args", 1), "count: input should be a valid integer, got '3'", False),
        (("kwargs", "thing"), "thing: input should be an instance of Thing, got 5", False),
        (("kwargs", "zzz"), "options.zzz: input should be a valid string, got 1", False),
        ((), "missing a required argument: 'kind'", False),
    ]
    strict = InputContract("m:plain", plain)
    both = strict.misfits([], {"a": "1", "zzz": 1})
    assert [(m.where, m.message, m.on_key) for m in both] == [
        (("kwargs", "zzz"), "got an unexpected keyword argument 'zzz'", True),
        (("kwargs", "a"), "a: input should be a valid integer, got '1'", False),
    ]
    with pytest.raises(InvalidTaskInput) as refused:
        strict.check("t.plain", [], {"a": "1", "zzz": 1})
    assert str(refused.value) == (
        "t.plain: arguments do not fit m:plain(a: int, b: object = <"
        + repr(plain.__defaults__[0])[1:]
        + ", c: float = nan): got an unexpected keyword argument 'zzz'; "
        "a: input should be a valid integer, got '1'"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x" * 58, "'" + "x" * 58 + "'"),  # 60 characters with the quotes: whole
        ("x" * 59, "'" + "x" * 56 + "..."),  # 61: cut to 57, then "..."
    ],
)
def test_a_long_value_is_cut_to_sixty_characters(value: str, shown: str) -> None:
    (misfit,) = InputContract("m:plain", plain).misfits([value], {})
    assert misfit.message == f"a: input should be a valid integer, got {shown}"


@pytest.mark.parametrize(
    ("spec", "handler", "call", "message"),
    [
        ("m:Job", Job, {"size": "2"}, "size: input should be a valid integer, got '2'"),
        ("m:runner", Runner(), {"steps": 1.5}, "steps: input should be a valid integer, got 1.5"),
        (
            "m:partial",
            functools.partial(report, "k"),
            {"count": "x"},
            "count: input should be a valid integer, got 'x'",
        ),
    ],
)
def test_hints_come_from_init_call_or_the_wrapped_function(spec, handler, call, message) -> None:
    contract = InputContract(spec, handler)
    assert [m.message for m in contract.misfits([], call)] == [message]
    assert contract.json_schema("t")["title"] == "t"


def unresolved(x: NoSuchType) -> None:  # noqa: F821 - the point of the test
    return None


def test_handlers_whose_hints_cannot_be_had_are_import_problems() -> None:
    with pytest.raises(ImportProblem) as no_signature:
        InputContract("builtins:dict", dict)
    assert str(no_signature.value) == (
        "'builtins:dict' has no signature to check arguments against: "
        "no signature found for builtin type <class 'dict'>"
    )
    with pytest.raises(ImportProblem) as unresolvable:
        InputContract("m:unresolved", unresolved)
    assert str(unresolvable.value) == (
        "the type hints of 'm:unresolved' do not resolve: name 'NoSuchType' is not defined"
    )


def bound_report(self, kind: str, count: int = 3):
    return kind


def test_check_call_is_the_one_check_every_send_path_uses() -> None:
    """check_call by handler spec: silent for a fit, every misfit named for the rest, the
    bound handler's task parameter never counted, an unimportable handler its own error."""
    from engine.inputs import check_call

    here = f"{__name__}:report"
    assert check_call(here, "t", ["a"], {"count": 4}) is None
    with pytest.raises(InvalidTaskInput) as misfit:
        check_call(here, "reports.export", [1], {"count": "x"})
    assert str(misfit.value) == (
        f"reports.export: arguments do not fit {here}(kind: str, count: int = 3, "
        "thing: test_input_contract.Thing | None = None, *extra: int, **options: str): "
        "kind: input should be a valid string, got 1; "
        "count: input should be a valid integer, got 'x'"
    )
    bound = f"{__name__}:bound_report"
    assert check_call(bound, "t", ["a"], {}, bind=True) is None
    with pytest.raises(InvalidTaskInput, match=r"missing a required argument: 'kind'"):
        check_call(bound, "t", [], {}, bind=True)
    with pytest.raises(InvalidTaskInput, match=r"too many positional arguments"):
        check_call(bound, "t", ["a", 1, 2], {}, bind=True)
    with pytest.raises(ImportProblem):
        check_call("no_such_module_here:f", "t", [], {})


def test_a_task_object_is_checked_against_its_function_not_the_task_class() -> None:
    """tasks.yaml may name a `@shared_task` or `@app.task` object as the handler: its
    arguments are those of the function it wraps (a bound one's `self` not counted)."""
    from celery import Celery

    app = Celery("contract-test", set_as_current=False)

    def add(x: int, y: int) -> int:
        return x + y

    def scaled(self, n: int) -> int:
        return n

    plain, bound = app.task(add), app.task(bind=True)(scaled)
    contract = InputContract("m:add", plain)
    assert str(contract.signature) == "(x: int, y: int)"
    assert [m.message for m in contract.misfits([1], {})] == ["missing a required argument: 'y'"]
    assert contract.misfits([1, 2], {}) == []
    assert str(InputContract("m:scaled", bound).signature) == "(n: int)"
    app.close()
