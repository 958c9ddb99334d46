"""What a translation produces: the three files' data, comments, and what was left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]  # ("tasks", "tasks", "alerts.process"): file, then keys


@dataclass(frozen=True)
class Left:
    """One thing not carried: where it was in the Celery app, why, and what to do."""

    where: str
    why: str
    todo: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "why": self.why, "todo": self.todo}


@dataclass
class Translation:
    files: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"queues": {}, "tasks": {}, "schedules": {}}
    )
    comments: dict[Path, str] = field(default_factory=dict)
    left: list[Left] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # carried, but said differently
    schedule_names: dict[str, str] = field(default_factory=dict)  # Celery's -> poli's
    environment: dict[str, str] = field(default_factory=dict)  # variables the files read

    def leave(self, where: str, why: str, todo: str) -> None:
        self.left.append(Left(where, why, todo))

    def comment(self, path: Path, text: str) -> None:
        self.comments[path] = f"{self.comments[path]}; {text}" if path in self.comments else text

    def section(self, file: str, name: str) -> dict[str, Any]:
        return self.files[file].setdefault(name, {})
