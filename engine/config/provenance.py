"""The effective configuration, one value per key path, each with where it came from.

Walks the loaded documents (overlays applied, `${VAR}` interpolated) beside their JSON
Schemas: a value written in a file comes from FILE:LINE (the base or the overlay file) and
names the variables that fed it; a value nobody wrote is the schema's default; a task
option a task leaves out comes from tasks.yaml `defaults:` if set there. Secrets are masked
(engine.secrets, the one rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config.read.loader import Document, Path_
from engine.config.schemas import schema
from engine.secrets import mask_value

SCHEMA_DEFAULT = "schema default"


@dataclass(frozen=True)
class Setting:
    file: str  # the base file the key belongs to: queues.yaml, tasks.yaml, schedules.yaml
    key: str  # dotted path in that file: broker.url, workers.alerts.concurrency
    value: Any  # secrets masked
    source: str  # FILE:LINE (base or overlay file), or "schema default"
    env: tuple[str, ...] = ()  # variables whose values it holds
    unset: tuple[str, ...] = ()  # ${VAR:-default} variables that were unset: the default holds


def effective(documents: dict[str, Document]) -> list[Setting]:
    """Every setting of the three files, in file order, defaults after what was written."""
    out: list[Setting] = []
    for kind, doc in documents.items():
        _Walk(kind, doc, out).value(schema(kind), doc.data, ())
    return out


class _Walk:
    def __init__(self, kind: str, doc: Document, out: list[Setting]) -> None:
        self.kind, self.doc, self.out = kind, doc, out
        self.file = f"{kind}.yaml"

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        """A schema node with its $ref merged in (properties from both)."""
        if "$ref" not in node:
            return node
        target: Any = schema(self.kind)
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        target = self.node(target)
        properties = {**target.get("properties", {}), **node.get("properties", {})}
        return {**target, **node, "properties": properties}

    def value(self, node: dict[str, Any], value: Any, path: Path_, source: str = "") -> None:
        node = self.node(node)
        if isinstance(value, dict) and _structured(node) and (value or _fills(node)):
            self.mapping(node, value, path, source)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                self.value(node.get("items", {}), item, (*path, index), source)
        else:
            self.leaf(path, value, source)

    def mapping(self, node: dict[str, Any], value: dict, path: Path_, source: str) -> None:
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key, extra if isinstance(extra, dict) else {})
            self.value(child, item, (*path, key), source)
        inherited = self.inherited(path)
        for key, child in properties.items():
            if key in value:
                continue
            if key in inherited:
                self.leaf(
                    (*path, key), inherited[key], f"{self.where(('defaults', key))} (defaults)"
                )
            elif "default" in child:
                self.value(child, child["default"], (*path, key), source or SCHEMA_DEFAULT)

    def inherited(self, path: Path_) -> dict[str, Any]:
        """A task's options it leaves out come from tasks.yaml `defaults:`."""
        if self.kind == "tasks" and len(path) == 2 and path[0] == "tasks":
            defaults = self.doc.data.get("defaults")
            return defaults if isinstance(defaults, dict) else {}
        return {}

    def where(self, path: Path_) -> str:
        pos = self.doc.pos(path)
        return f"{pos.file}:{pos.line}"

    def leaf(self, path: Path_, value: Any, source: str) -> None:
        key = ".".join(str(p) for p in path)
        if source.endswith("(defaults)"):
            variables = self.doc.variables.get(("defaults", path[-1]), ())
        else:
            variables = () if source else self.doc.variables.get(path, ())
        self.out.append(
            Setting(
                file=self.file,
                key=key,
                value=mask_value(key, value),
                source=source or self.where(path),
                env=tuple(name for name, supplied in variables if supplied),
                unset=tuple(name for name, supplied in variables if not supplied),
            )
        )


def _structured(node: dict[str, Any]) -> bool:
    """A mapping with declared keys is walked key by key; free-form ones (kwargs) are values."""
    return bool(node.get("properties")) or isinstance(node.get("additionalProperties"), dict)


def _fills(node: dict[str, Any]) -> bool:
    """An empty mapping is walked (not shown as {}) when its schema gives keys defaults."""
    return any("default" in p for p in node.get("properties", {}).values())
