"""The three files as YAML text: one line per queue, task, schedule and worker group
(flow style, as poli's own files are written), a comment where a value was translated."""

from __future__ import annotations

import json
from typing import Any

import yaml

from polictl.importer.model import Translation

HEADER = "# {file}.yaml: imported from the Celery app {spec} by `polictl import`.\n"
ORDER = {
    "queues": ("celery", "broker", "queues", "routes", "workers"),
    "tasks": ("eager", "defaults", "retry_policies", "tasks"),
    "schedules": ("timezone", "schedules"),
}
QUOTED = ("${", "*", ":", " ", ",", "#", "{", "[", "'", '"')  # quoted for the reader's sake


def flow(value: Any) -> str:
    """One YAML value on one line; `${VAR}` strings always quoted (flow style needs it)."""
    if isinstance(value, str) and (value == "" or any(c in value for c in QUOTED)):
        return json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _line(indent: str, text: str, comment: str | None) -> str:
    return f"{indent}{text}  # {comment}" if comment else f"{indent}{text}"


def _section(file: str, key: str, value: Any, comments: dict[tuple[str, ...], str]) -> list[str]:
    note = comments.get((file, key))
    if isinstance(value, dict) and value:
        lines = [_line("", f"{key}:", note)]
        for name, item in value.items():  # one line per queue, task, schedule, group...
            lines.append(
                _line("  ", f"{flow(name)}: {flow(item)}", comments.get((file, key, name)))
            )
        return lines
    if isinstance(value, list) and value:
        lines = [_line("", f"{key}:", note)]
        for index, item in enumerate(value):
            lines.append(_line("  ", f"- {flow(item)}", comments.get((file, key, str(index)))))
        return lines
    return [_line("", f"{key}: {flow(value)}", note)]


def emit(translation: Translation, spec: str) -> dict[str, str]:
    """{file name: YAML text} for the three files."""
    texts = {}
    for file, data in translation.files.items():
        lines = [HEADER.format(file=file, spec=spec).rstrip("\n")]
        for key in ORDER[file]:
            if key in data:
                lines += _section(file, key, data[key], translation.comments)
        texts[f"{file}.yaml"] = "\n".join(lines) + "\n"
    return texts
