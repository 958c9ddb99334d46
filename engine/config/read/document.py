"""A loaded YAML file: its data and the FILE:LINE:COL of every node, and the one way to
make an error diagnostic at a position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.diagnostics import ERROR, Diagnostic

Path_ = tuple[str | int, ...]


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
    text: str = ""  # the file as written (read_file sets it)

    def pos(self, path: Path_) -> Pos:
        """The position of the node at `path`, or of its nearest ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Pos(self.file, 1, 1))

    def key_pos(self, path: Path_) -> Pos:
        return self.key_positions.get(tuple(path)) or self.pos(path)


def error(pos: Pos, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(pos.file, pos.line, pos.column, ERROR, code, message, hint)
