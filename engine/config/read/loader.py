"""YAML text -> plain data plus the FILE:LINE:COL of every node.

PyYAML's own loaders lose positions, keep the last of duplicate keys and (unsafe
ones) construct arbitrary objects. We compose the node graph with the safe
composer and convert it ourselves: positions are kept in a side table keyed by
the node's path, duplicate keys and unknown tags become diagnostics, aliases are
expanded under a budget, and `${VAR}` / `${VAR:-default}` is interpolated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from engine.config.read.composer import compose, gc_paused
from engine.config.read.composer import mark_pos as _pos
from engine.config.read.document import Document, Path_, Pos, error
from engine.diagnostics import Diagnostic

__all__ = ["Document", "Path_", "Pos", "error", "gc_paused", "parse_text", "read_file"]

# Alias expansion budget: nodes reached a second time through an alias (`*name`, `<<`).
# A file may expand by ALIAS_FACTOR nodes per node it writes out, plus MIN_ALIAS_NODES: a
# config of any size that shares defaults through aliases passes, a billion-laughs bomb
# (tiny text, exponential expansion) stops after ~MIN_ALIAS_NODES nodes, in milliseconds.
MIN_ALIAS_NODES = 50_000
ALIAS_FACTOR = 10
MAX_DEPTH = 64
YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = {f"{YAML_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
STR_TAG, TIMESTAMP_TAG = f"{YAML_TAG}str", f"{YAML_TAG}timestamp"
MAP_TAG, SEQ_TAG, MERGE_TAG = f"{YAML_TAG}map", f"{YAML_TAG}seq", f"{YAML_TAG}merge"
ENV_PATTERN = re.compile(r"\$(?:\$|\{([^}]*)\})")
ENV_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$", re.DOTALL)


class _Abort(Exception):
    """Stops conversion of a file after a problem that makes the rest meaningless."""


def _tag(tag: str) -> str:
    return tag.replace(YAML_TAG, "!!", 1)


class _Converter:
    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.doc = Document(file, None)
        self.env = env
        self.diagnostics: list[Diagnostic] = []
        self.written: set[int] = set()  # ids of nodes converted once (written in the text)
        self.expanded = 0  # nodes converted again, through an alias
        self.active: set[int] = set()  # ids of the nodes being converted (recursion check)
        self.constructor = yaml.SafeLoader("")
        self.used: list[tuple[str, bool]] = []
        self.construct = {
            f"{YAML_TAG}int": self.constructor.construct_yaml_int,
            f"{YAML_TAG}float": self.constructor.construct_yaml_float,
            f"{YAML_TAG}bool": self.constructor.construct_yaml_bool,
            f"{YAML_TAG}null": self.constructor.construct_yaml_null,
        }

    def fail(self, node: yaml.Node, code: str, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(error(_pos(self.doc.file, node.start_mark), code, message, hint))

    def expand(self, node: yaml.Node) -> None:
        """Count a node reached again through an alias; stop past the budget."""
        self.expanded += 1
        limit = MIN_ALIAS_NODES + ALIAS_FACTOR * len(self.written)
        if self.expanded > limit:
            self.fail(
                node,
                "alias-bomb",
                f"aliases expand to more than {limit} nodes ({MIN_ALIAS_NODES} + {ALIAS_FACTOR} per node written out)",
                "aliases (*name) multiply nodes; write the values out or use fewer aliases",
            )
            raise _Abort

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        key = id(node)
        if key in self.written:
            self.expand(node)
        else:
            self.written.add(key)
        if key in self.active or len(self.active) > MAX_DEPTH:
            self.fail(node, "alias-bomb", "recursive alias or nesting deeper than 64 levels")
            raise _Abort
        mark = node.start_mark
        self.doc.positions[path] = Pos(self.doc.file, mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            return self.sequence(node, path)
        finally:
            self.active.discard(key)

    def sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        if node.tag != SEQ_TAG:
            self.fail(node, "unsafe-tag", f"unsupported tag {_tag(node.tag)}", "remove the tag")
        return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        if node.tag != MAP_TAG:
            self.fail(node, "unsafe-tag", f"unsupported tag {_tag(node.tag)}", "remove the tag")
        result: dict[str, Any] = {}
        explicit: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                self.merge(value_node, path, result, explicit)
                continue
            key = self.key(key_node)
            if key is None:
                continue
            key_pos = _pos(self.doc.file, key_node.start_mark)
            if key in explicit:
                first = explicit[key]
                self.fail(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {key!r}",
                    f"first defined at line {first.line}; a key may appear once",
                )
                continue
            explicit[key] = key_pos
            self.doc.key_positions[(*path, key)] = key_pos
            result[key] = self.convert(value_node, (*path, key))
        return result

    def merge(self, value: yaml.Node, path: Path_, result: dict, explicit: dict) -> None:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, "schema", "a merge key (<<) takes a mapping or a list of them")
                continue
            merged = self.convert(source, path)
            for key, item in merged.items():
                if key not in explicit and key not in result:
                    result[key] = item

    def key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, "schema", "a mapping key must be a plain string")
            return None
        return str(node.value)

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        if node.tag not in SCALAR_TAGS:
            self.fail(
                node,
                "unsafe-tag",
                f"unsupported tag {_tag(node.tag)}",
                "only plain YAML values are allowed; tags are never constructed",
            )
            return None
        value, tag = node.value, node.tag
        if "$" in value:
            before = len(self.diagnostics)
            self.used = []
            value = self.interpolate(node, value)
            if len(self.diagnostics) > before:
                self.doc.reported.add(path)
            if self.used:
                self.doc.variables[path] = tuple(self.used)
            if not node.style:  # plain scalar ('' from libyaml): "${N:-4}" becomes the int 4
                tag = self.constructor.resolve(yaml.ScalarNode, value, (True, False))
        if tag == STR_TAG or tag == TIMESTAMP_TAG:
            return value  # dates stay text: JSON-safe, and handlers parse what they need
        if value is not node.value or tag != node.tag:
            node = yaml.ScalarNode(tag, value, node.start_mark, node.end_mark, node.style)
        return self.construct[tag](node)

    def interpolate(self, node: yaml.Node, text: str) -> str:
        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            spec = ENV_NAME.match(match.group(1))
            if spec is None:
                self.fail(
                    node,
                    "env-var",
                    f"malformed interpolation {match.group(0)!r}",
                    "write ${NAME}, ${NAME:-default} or $$ for a literal $",
                )
                return ""
            name, op, default = spec.groups()
            value = self.env.get(name)
            if op == ":-" and not value or op == "-" and value is None:
                self.used.append((name, False))
                return default
            self.used.append((name, value is not None))
            if value is None:
                self.fail(
                    node,
                    "env-var",
                    f"environment variable {name} is not set",
                    f"set it, or give a default: ${{{name}:-value}}",
                )
                return ""
            return value

        return ENV_PATTERN.sub(substitute, text)


def parse_text(text: str, file: str, env: Mapping[str, str] | None = None):
    """Text -> (Document | None, diagnostics). Never raises on bad input."""
    env = os.environ if env is None else env
    start = Pos(file, 1, 1)
    node, problem = compose(text, file)
    if problem is not None:
        return None, [problem]
    if node is None:
        return None, [error(start, "empty-file", "file is empty", "it must hold a mapping")]
    converter = _Converter(file, env)
    try:
        with gc_paused():
            data = converter.convert(node, ())
    except _Abort:
        return None, converter.diagnostics
    except RecursionError:
        return None, [error(start, "alias-bomb", "nesting too deep")]
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else "single value"
        converter.diagnostics.append(
            error(start, "schema", f"the top level must be a mapping, not a {kind}")
        )
        return None, converter.diagnostics
    converter.doc.data = data
    return converter.doc, converter.diagnostics


def read_file(path: Path, file: str, env: Mapping[str, str] | None = None):
    """Read and parse one file; text that is not UTF-8 is a diagnostic, not a traceback."""
    start = Pos(file, 1, 1)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(start, "io", f"cannot read file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [error(start, "not-text", f"file is not UTF-8 text (byte {exc.start})")]
    if "\x00" in text:
        return None, [error(start, "not-text", "file is binary (it holds NUL bytes)")]
    doc, diagnostics = parse_text(text, file, env)
    if doc is not None:
        doc.text = text
    return doc, diagnostics
