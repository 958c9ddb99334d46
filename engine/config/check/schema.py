"""JSON Schema validation of a loaded Document, reported at the offending node.

The schema files under engine/schemas/ are the one table of keys, types and
defaults. A schema node may carry `x-message`: the message users see when that
node fails, instead of the validator's generic text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from engine.config.read.loader import Document, Path_, error
from engine.config.schemas import resolve, schema
from engine.diagnostics import Diagnostic, did_you_mean

STRUCTURAL = {"additionalProperties", "unevaluatedProperties", "required", "propertyNames"}
JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, node: Any
) -> Iterator[ValidationError]:
    """`pattern` as JSON Schema (ECMA-262) reads it, where `$` ends the text. Python's `$`
    also matches before a final newline: "poli\\n" would pass `^[a-z]+$` and then inject a
    line into a generated unit."""
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _ecma(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))  # an unescaped `$` only


Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def _validator(kind: str) -> Any:
    return Validator(schema(kind))


@cache
def _fast_validator(kind: str) -> Any:
    """jsonschema-rs (compiled, ECMA-262 patterns): 30-80x faster on a 10,000-task file."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; the slow path is always right
        return None
    return jsonschema_rs.validator_for(schema(kind))


def _surely_valid(kind: str, data: Any) -> bool:
    """The fast validator's yes is final; its no (or any doubt) goes to `jsonschema`, which
    alone writes the diagnostics, so messages and positions never depend on the fast path."""
    fast = _fast_validator(kind)
    try:
        return fast is not None and bool(fast.is_valid(data))
    except Exception:  # e.g. an integer beyond 64 bits: let jsonschema judge it
        return False


def validate(kind: str, doc: Document) -> list[Diagnostic]:
    """Every schema problem in `doc`, each at the position of the node at fault."""
    out: list[Diagnostic] = []
    if _surely_valid(kind, doc.data):
        return out
    for err in _validator(kind).iter_errors(doc.data):
        if tuple(err.absolute_path) not in doc.reported:
            out.extend(_diagnose(kind, doc, err))
    return out


def _diagnose(kind: str, doc: Document, err: ValidationError) -> Iterator[Diagnostic]:
    path: Path_ = tuple(err.absolute_path)
    custom = _custom_message(err)
    if "propertyNames" in err.absolute_schema_path:
        key_path = (*path, err.instance)
        yield error(doc.key_pos(key_path), "bad-name", custom or err.message)
    elif custom:
        code = "bad-duration" if "duration" in custom else "schema"
        yield error(doc.pos(path), code, custom)
    elif err.validator in ("additionalProperties", "unevaluatedProperties"):
        yield from _unknown_keys(kind, doc, path, err)
    elif err.validator == "required":
        missing = err.message.split("'")[1]
        yield error(doc.pos(path), "schema", f"{_where(path)}missing required key {missing!r}")
    elif err.validator == "type":
        expected = err.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        words = " or ".join(JSON_TYPES.get(t, t) for t in expected)
        yield error(
            doc.pos(path), "schema", f"{_where(path)}expected {words}, got {_kind(err.instance)}"
        )
    elif err.context:
        yield from _diagnose(kind, doc, best_match(err.context))
    else:
        yield error(doc.pos(path), "schema", f"{_where(path)}{err.message}")


def _where(path: Path_) -> str:
    return f"{'.'.join(str(p) for p in path)}: " if path else ""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "an integer",
        float: "a number",
        type(None): "nothing",
    }
    return names.get(type(value), type(value).__name__)


def _custom_message(err: ValidationError) -> str | None:
    """The x-message of the schema node whose check failed (not for structural checks)."""
    if err.validator in STRUCTURAL or not isinstance(err.schema, dict):
        return None
    message = err.schema.get("x-message")
    return message.format(instance=err.instance) if message else None


def name_problem(value: str, what: str = "an environment name") -> str | None:
    """Why `value` is not a name (queues.schema.json `$defs/name`), or None: for the names
    that reach files without passing through a YAML file, such as the environment's."""
    rule = resolve("queues", "#/$defs/name")
    if _ecma(rule["pattern"]).search(value):
        return None
    return (
        f"invalid name {value!r}: {what} reaches unit, process and Kubernetes names,"
        " so it starts with a lowercase letter, then up to 62 of a-z 0-9 _ . -"
    )


def _unknown_keys(kind: str, doc: Document, path: Path_, err: ValidationError):
    allowed = sorted(_allowed_keys(kind, err.schema))
    for key in sorted(k for k in err.instance if k not in allowed):
        hint = did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}"
        yield error(
            doc.key_pos((*path, key)), "unknown-key", f"{_where(path)}unknown key {key!r}", hint
        )


def _allowed_keys(kind: str, node: dict[str, Any]) -> set[str]:
    keys = set(node.get("properties", {}))
    if "$ref" in node:
        keys |= _allowed_keys(kind, resolve(kind, node["$ref"]))
    return keys
