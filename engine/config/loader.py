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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.diagnostics import ERROR, Diagnostic

Path_ = tuple[str | int, ...]

MAX_NODES = 20_000  # expanded nodes per file: far above any real config, far below a bomb
MAX_DEPTH = 64
YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = {f"{YAML_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
ENV_PATTERN = re.compile(r"\$(?:\$|\{([^}]*)\})")
ENV_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Pos:
    file: str
    line: int
    column: int


@dataclass
class Document:
    """One YAML file's data, with the position of every value and mapping key."""

    file: str
    data: Any
    positions: dict[Path_, Pos] = field(default_factory=dict)
    key_positions: dict[Path_, Pos] = field(default_factory=dict)
    # values already reported (an unset ${VAR}): later checks stay quiet about them
    reported: set[Path_] = field(default_factory=set)
    # the ${VAR}s each interpolated value read: (name, True when the environment supplied it)
    variables: dict[Path_, tuple[tuple[str, bool], ...]] = field(default_factory=dict)

    def pos(self, path: Path_) -> Pos:
        """The position of the node at `path`, or of its nearest ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Pos(self.file, 1, 1))

    def key_pos(self, path: Path_) -> Pos:
        return self.key_positions.get(tuple(path)) or self.pos(path)


class _Abort(Exception):
    """Stops conversion of a file after a problem that makes the rest meaningless."""


def _tag(tag: str) -> str:
    return tag.replace(YAML_TAG, "!!", 1)


def _pos(file: str, mark: yaml.Mark | None) -> Pos:
    if mark is None:
        return Pos(file, 1, 1)
    return Pos(file, mark.line + 1, mark.column + 1)


def error(pos: Pos, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(pos.file, pos.line, pos.column, ERROR, code, message, hint)


class _Converter:
    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.doc = Document(file, None)
        self.env = env
        self.diagnostics: list[Diagnostic] = []
        self.budget = MAX_NODES
        self.stack: list[yaml.Node] = []
        self.constructor = yaml.SafeLoader("")
        self.used: list[tuple[str, bool]] = []

    def fail(self, node: yaml.Node, code: str, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(error(_pos(self.doc.file, node.start_mark), code, message, hint))

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.budget -= 1
        if self.budget < 0:
            self.fail(
                node,
                "alias-bomb",
                f"document expands to more than {MAX_NODES} nodes",
                "aliases (*name) multiply nodes; write the values out or use fewer aliases",
            )
            raise _Abort
        if any(node is seen for seen in self.stack) or len(self.stack) > MAX_DEPTH:
            self.fail(node, "alias-bomb", "recursive alias or nesting deeper than 64 levels")
            raise _Abort
        self.doc.positions[path] = _pos(self.doc.file, node.start_mark)
        self.stack.append(node)
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, path)
            return self.scalar(node, path)
        finally:
            self.stack.pop()

    def sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        if node.tag != f"{YAML_TAG}seq":
            self.fail(node, "unsafe-tag", f"unsupported tag {_tag(node.tag)}", "remove the tag")
        return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        if node.tag != f"{YAML_TAG}map":
            self.fail(node, "unsafe-tag", f"unsupported tag {_tag(node.tag)}", "remove the tag")
        result: dict[str, Any] = {}
        explicit: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{YAML_TAG}merge":
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
            if node.style is None:  # plain scalar: "${N:-4}" should become the int 4
                tag = self.constructor.resolve(yaml.ScalarNode, value, (True, False))
        if tag == f"{YAML_TAG}timestamp":
            return value  # dates stay text: JSON-safe, and handlers parse what they need
        built = yaml.ScalarNode(tag, value, node.start_mark, node.end_mark, node.style)
        return self.constructor.construct_object(built, deep=True)

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


def _syntax_diagnostic(file: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    hint = None
    if "'\\t'" in problem or "\t" in problem:
        problem = "tab character where YAML expects spaces"
        hint = "YAML indents with spaces, never tabs"
    return error(_pos(file, mark), "yaml-syntax", f"YAML syntax error: {problem}", hint)


def parse_text(text: str, file: str, env: Mapping[str, str] | None = None):
    """Text -> (Document | None, diagnostics). Never raises on bad input."""
    env = os.environ if env is None else env
    start = Pos(file, 1, 1)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return None, [_syntax_diagnostic(file, exc)]
    except (ValueError, RecursionError) as exc:  # e.g. NUL bytes, absurd nesting
        return None, [error(start, "yaml-syntax", f"YAML syntax error: {exc}")]
    if node is None:
        return None, [error(start, "empty-file", "file is empty", "it must hold a mapping")]
    converter = _Converter(file, env)
    try:
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
    return parse_text(text, file, env)
