"""The JSON Schema files (engine/schemas/): the one table of keys, types and defaults.

Read here for every stage that needs them: the schema check (engine.config.check.schema),
the effective values over the defaults (engine.config.options) and `polictl config`'s
provenance. A schema node may carry `x-message`: the message users see when that node
fails, instead of the validator's generic text.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
SCHEMA_FILES = {
    "queues": "queues.schema.json",
    "tasks": "tasks.schema.json",
    "schedules": "schedules.schema.json",
}


@cache
def schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text("utf-8"))


def resolve(kind: str, ref: str) -> Any:
    node: Any = schema(kind)
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def defaults(kind: str, *pointer: str) -> dict[str, Any]:
    """The `default` of every property of the object schema at `pointer`."""
    # copies: a caller may keep (and change) what it gets; the schema stays as it is. Only
    # containers need copying (called per task and schedule: a deepcopy of all was 40%)
    found = _defaults(kind, *pointer)
    if not _has_containers(kind, *pointer):
        return dict(found)
    return {key: _fresh(value) for key, value in found.items()}


@cache
def _has_containers(kind: str, *pointer: str) -> bool:
    return any(isinstance(value, dict | list) for value in _defaults(kind, *pointer).values())


def _fresh(value: Any) -> Any:
    if not isinstance(value, dict | list):
        return value
    return copy.deepcopy(value) if value else type(value)()


@cache  # called once per task and schedule of a config: the schema does not change
def _defaults(kind: str, *pointer: str) -> dict[str, Any]:
    node: Any = schema(kind)
    for step in pointer:
        node = node[step]
        if "$ref" in node and "properties" not in node:
            node = {**resolve(kind, node["$ref"]), **node}
    props = dict(node.get("properties", {}))
    if "$ref" in node:
        props = {**resolve(kind, node["$ref"]).get("properties", {}), **props}
    return {key: spec["default"] for key, spec in props.items() if "default" in spec}
