"""YAML text -> the node graph, fast: libyaml's composer with a cached resolver, the
collector paused; a file with a syntax error is composed again by PyYAML's pure-Python
composer, whose messages (and positions) are the ones users see."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import yaml

from engine.config.read.document import Pos, error
from engine.diagnostics import Diagnostic

# libyaml's composer when PyYAML has it (10x faster); messages of errors come from the
# pure-Python one, which reads the same YAML (see compose).
_C_LOADER = getattr(yaml, "CSafeLoader", None)
_RESOLVED: dict[str, str] = {}  # plain scalar -> its implicit tag (keys repeat by the thousand)


if _C_LOADER is not None:

    class FAST_LOADER(_C_LOADER):  # noqa: N801 - stands for a loader class, as yaml's do
        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
            if kind is not yaml.ScalarNode or not implicit[0] or self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < 10_000:
                    _RESOLVED[value] = tag
            return tag

else:  # pragma: no cover - PyYAML built without libyaml
    FAST_LOADER = yaml.SafeLoader


def mark_pos(file: str, mark: yaml.Mark | None) -> Pos:
    if mark is None:
        return Pos(file, 1, 1)
    return Pos(file, mark.line + 1, mark.column + 1)


def _syntax_diagnostic(file: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    hint = None
    if "'\\t'" in problem or "\t" in problem:
        problem = "tab character where YAML expects spaces"
        hint = "YAML indents with spaces, never tabs"
    return error(mark_pos(file, mark), "yaml-syntax", f"YAML syntax error: {problem}", hint)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector would rescan every node built so far, again and again (quadratic on a
    large file); nothing built here is cyclic garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compose_with(text: str, file: str, loader: type) -> tuple[yaml.Node | None, Diagnostic | None]:
    try:
        with gc_paused():
            return yaml.compose(text, Loader=loader), None
    except yaml.YAMLError as exc:
        return None, _syntax_diagnostic(file, exc)
    except (ValueError, RecursionError) as exc:  # e.g. NUL bytes, absurd nesting
        return None, error(Pos(file, 1, 1), "yaml-syntax", f"YAML syntax error: {exc}")


def compose(text: str, file: str) -> tuple[yaml.Node | None, Diagnostic | None]:
    """(node graph or None for an empty text, None) or (None, the syntax error)."""
    node, problem = _compose_with(text, file, FAST_LOADER)
    if problem is not None and FAST_LOADER is not yaml.SafeLoader:
        node, problem = _compose_with(text, file, yaml.SafeLoader)  # PyYAML's own messages
    return node, problem
