"""A handler's signature and type hints are its input contract: what a caller may send.

The arguments bind to the signature first (inspect's own messages: "missing a required
argument: 'kind'"), then each value is checked against its hint by pydantic in strict
mode: a value must already have the declared type (`"3"` is not an `int`); nothing is
coerced, so the handler receives exactly what was sent. `polictl run`, the app's publish
path, the worker, `validate` (schedule arguments) and `polictl tasks` (the JSON Schema)
all read the same contract. pydantic costs ~0.2 s of CPU to import and warm up, so it is
imported on first use.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.imports import ImportProblem, import_handler, task_parts

Where = tuple[str | int, ...]  # ("kwargs", "days"), ("args", 0, 2); () = the call as a whole
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class InvalidTaskInput(TypeError):
    """Arguments that do not fit a task's handler: refused before sending, failed at once
    (never retried) by a worker. One string argument, so result backends rebuild it."""


@dataclass(frozen=True)
class Misfit:
    where: Where
    message: str
    on_key: bool = False  # about the keyword itself (unknown), not its value


def check_call(
    spec: str, task: str, args: Sequence[Any], kwargs: Mapping[str, Any], bind: bool = False
) -> None:
    """The one input check: raise InvalidTaskInput when `args`/`kwargs` do not fit the handler
    `spec` of `task` (ImportProblem when the handler cannot be imported). Every send path
    ends here: the app's publish (delay, apply_async, send_task, send_many, beat, dead-letter
    replay), `polictl run` and `run --many`, and the worker before it calls the handler."""
    contract_for(spec, bind).check(task, args, kwargs)


class InputContract:
    """The contract of one handler (`module:function`, or a Celery task object: its function).
    A bound handler's first parameter is the task itself, never sent."""

    def __init__(self, spec: str, handler: Callable[..., Any], bind: bool = False) -> None:
        self.spec = spec
        parts = task_parts(handler)
        if parts is not None:
            handler, bind = parts.fun, parts.bind
        try:
            signature = _unbound(inspect.signature(handler, eval_str=True), spec, bind)
            hints = typing.get_type_hints(_annotated(handler))
        except (TypeError, ValueError) as exc:  # no signature (some builtins), odd callables
            raise ImportProblem(
                f"{spec!r} has no signature to check arguments against: {exc}"
            ) from None
        except (NameError, SyntaxError) as exc:
            raise ImportProblem(f"the type hints of {spec!r} do not resolve: {exc}") from None
        self.signature = signature.replace(return_annotation=inspect.Signature.empty)
        self._hints = hints
        params = self.signature.parameters.values()
        self._any_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
        self._keywords = {
            p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        self._varargs = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)

    def describe(self) -> str:
        """`handlers.reports:export_report(kind: str, format: str = 'csv', ...)`."""
        return f"{self.spec}{self.signature}"

    @functools.cached_property
    def adapter(self) -> Any:  # pydantic.TypeAdapter of the bound arguments
        return _adapter(self.spec, self.signature, self._hints)

    def misfits(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Misfit]:
        """Why these arguments do not fit; an empty list when they do."""
        unknown = self._unknown_keywords(kwargs)
        misfits = [
            Misfit(("kwargs", k), f"got an unexpected keyword argument {k!r}", on_key=True)
            for k in unknown
        ]
        kwargs = {k: v for k, v in kwargs.items() if k not in unknown}
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            return [*misfits, Misfit((), str(exc))]
        values = dict(bound.arguments)
        if not values:
            return misfits  # nothing to type-check (and no need to import pydantic)
        if self._varargs in values:
            values[self._varargs] = list(values[self._varargs])  # strict: a list, not a tuple
        from pydantic import ValidationError

        try:
            self.adapter.validate_python(values)
        except ValidationError as exc:
            misfits += [self._misfit(error, bound, kwargs) for error in exc.errors()]
        return misfits

    def _unknown_keywords(self, kwargs: Mapping[str, Any]) -> list[str]:
        if self._any_keyword:
            return []
        return [key for key in kwargs if key not in self._keywords]

    def _misfit(self, error: dict[str, Any], bound: Any, kwargs: Mapping[str, Any]) -> Misfit:
        name, *inner = error["loc"]
        label = ".".join(str(p) for p in error["loc"])
        param = self.signature.parameters[name]
        if param.kind is param.VAR_POSITIONAL:
            where: Where = ("args", len(bound.args) - len(bound.arguments[name]) + inner.pop(0))
        elif param.kind is param.VAR_KEYWORD:
            where = ("kwargs", inner.pop(0))
        elif name in kwargs:
            where = ("kwargs", name)
        else:
            where = ("args", list(self.signature.parameters).index(name))
        message = error["msg"][0].lower() + error["msg"][1:]
        return Misfit((*where, *inner), f"{label}: {message}, got {_short(error['input'])}")

    def explain(self, task: str, misfits: list[Misfit]) -> str:
        problems = "; ".join(m.message for m in misfits)
        return f"{task}: arguments do not fit {self.describe()}: {problems}"

    def check(self, task: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        """Raise InvalidTaskInput naming the task, the signature and every misfit."""
        misfits = self.misfits(args, kwargs)
        if misfits:
            raise InvalidTaskInput(self.explain(task, misfits))

    def json_schema(self, title: str) -> dict[str, Any]:
        """What a caller may send, as keyword arguments (positional ones bind in order)."""
        schema = self.adapter.json_schema(schema_generator=_lenient_schema_class())
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        schema["title"] = title
        properties = schema.get("properties", {})
        for name, param in self.signature.parameters.items():
            prop = properties.get(name)
            if prop is None:
                continue
            prop.pop("title", None)
            if param.kind is param.VAR_KEYWORD:
                schema["additionalProperties"] = properties.pop(name).get(
                    "additionalProperties", True
                )
            elif param.kind is param.VAR_POSITIONAL:
                schema["x-varargs"] = {"name": name, "items": properties.pop(name).get("items", {})}
            elif param.default is not param.empty and _is_json(param.default):
                prop["default"] = param.default
        return schema


def _unbound(signature: inspect.Signature, spec: str, bind: bool) -> inspect.Signature:
    """A bound handler's signature without its first parameter (the task)."""
    if not bind:
        return signature
    params = list(signature.parameters.values())
    if not params or params[0].kind not in (
        params[0].POSITIONAL_ONLY,
        params[0].POSITIONAL_OR_KEYWORD,
    ):
        raise ImportProblem(
            f"{spec!r} is bound (`bind: true`) but takes no first argument for the task"
        )
    return signature.replace(parameters=params[1:])


def _annotated(handler: Callable[..., Any]) -> Any:
    """Where a callable's parameter hints live: a class's __init__, an object's __call__,
    a partial's function (typing.get_type_hints refuses the partial object itself)."""
    if inspect.isclass(handler):
        return handler.__init__
    if isinstance(handler, functools.partial):
        return _annotated(handler.func)
    if inspect.isroutine(handler):
        return handler
    return type(handler).__call__


def _adapter(spec: str, signature: inspect.Signature, hints: dict[str, Any]) -> Any:
    from typing import NotRequired, Required

    from pydantic import ConfigDict, PydanticSchemaGenerationError, PydanticUserError
    from pydantic import TypeAdapter as Adapter
    from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

    fields: dict[str, Any] = {}
    for name, param in signature.parameters.items():
        hint = hints.get(name, Any)
        if param.kind is param.VAR_POSITIONAL:
            hint = list[hint]  # type: ignore[valid-type]
        elif param.kind is param.VAR_KEYWORD:
            hint = dict[str, hint]  # type: ignore[valid-type]
        required = param.default is param.empty and param.kind not in _VARIADIC
        fields[name] = Required[hint] if required else NotRequired[hint]
    inputs = TypedDict(spec.rpartition(":")[2] or spec, fields)  # type: ignore[operator]
    inputs.__pydantic_config__ = ConfigDict(  # type: ignore[attr-defined]
        strict=True, extra="forbid", arbitrary_types_allowed=True
    )
    try:
        return Adapter(inputs)
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError) as exc:
        raise ImportProblem(f"the type hints of {spec!r} cannot be checked: {exc}") from None


@functools.cache
def _lenient_schema_class() -> type:
    from pydantic.json_schema import GenerateJsonSchema

    class Lenient(GenerateJsonSchema):
        """A hint no JSON value can satisfy (a class) is described, not refused."""

        def is_instance_schema(self, schema: Any) -> dict[str, Any]:
            return {"description": f"a Python {schema['cls'].__qualname__} (not JSON)"}

    return Lenient


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@functools.cache
def contract_for(spec: str, bind: bool = False) -> InputContract:
    """The contract of the handler `spec` (imports it); ImportProblem when it cannot be had.
    `bind`: tasks.yaml's `bind: true` (a task object says so itself). Its pydantic checks
    are built on first use."""
    return InputContract(spec, import_handler(spec), bind)
