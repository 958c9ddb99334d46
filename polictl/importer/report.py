"""What `polictl import` prints: the files written, what was translated, what was left
(each with why and what to do), and `--check`'s differences. Text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from engine.secrets import mask_secrets
from polictl.importer.model import Translation


def report_import(translation: Translation, written: list[Path], fmt: str) -> str:
    environment = sorted(translation.environment)
    if fmt == "json":
        return mask_secrets(json.dumps({
            "written": [str(p) for p in written],
            "left": [item.as_dict() for item in translation.left],
            "environment": environment,
            "notes": translation.notes,
            "schedule_names": translation.schedule_names,
            "complete": not translation.left,
        }, indent=2))  # fmt: skip
    lines = [f"wrote {path}" for path in written]
    for variable in environment:
        lines.append(
            f"note: set {variable} in the environment file: the URL's password is not in the files"
        )
    lines += [f"note: {note}" for note in translation.notes]
    if translation.left:
        lines.append(f"left behind ({len(translation.left)}):")
        for item in translation.left:
            lines += [f"  - {item.where}: {item.why}", f"    what to do: {item.todo}"]
    else:
        lines.append("everything was carried; prove it with `polictl import --check`")
    return mask_secrets("\n".join(lines))


def report_check(differences: list[str], fmt: str) -> str:
    if fmt == "json":
        return mask_secrets(
            json.dumps({"differences": differences, "clean": not differences}, indent=2)
        )
    if not differences:
        return (
            "check: the Celery app and poli's app agree (tasks, routes, limits, retries, schedules)"
        )
    return mask_secrets("\n".join([*differences, f"{len(differences)} difference(s)"]))
