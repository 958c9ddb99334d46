"""`polictl config`: the effective configuration, each value with where it came from."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from engine.config.provenance import Setting, effective
from engine.diagnostics import format_text


def _shown(value: Any) -> str:
    return value if isinstance(value, str) and value else json.dumps(value)


def _origin(setting: Setting) -> str:
    parts = [setting.source]
    parts += [f"from ${name}" for name in setting.env]
    parts += [f"${name} unset: its default" for name in setting.unset]
    return ", ".join(parts)


def format_text_settings(settings: list[Setting]) -> str:
    lines: list[str] = []
    for file in dict.fromkeys(s.file for s in settings):
        rows = [(f"{s.key} = {_shown(s.value)}", _origin(s)) for s in settings if s.file == file]
        width = max(len(left) for left, _ in rows)
        lines.append(f"# {file}")
        lines += [f"{left.ljust(width)}  # {origin}" for left, origin in rows]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def format_json_settings(settings: list[Setting]) -> str:
    return json.dumps([asdict(s) for s in settings], indent=2, default=str)


FORMATS = {"text": format_text_settings, "json": format_json_settings}


@click.command(name="config")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text")
@click.pass_obj
def config(obj: Any, fmt: str) -> int:
    """The effective configuration after overlays and ${VAR} interpolation, secrets masked;
    each value with its FILE:LINE, the environment variable that supplied it, or `schema
    default` (what the seed's `check_settings --verbose` showed)."""
    obj.platform()  # an invalid config: its diagnostics, exit 1
    result = obj.load()
    if result.diagnostics:  # warnings only: the config is valid
        click.echo(format_text(result.diagnostics), err=True)
    click.echo(FORMATS[fmt](effective(result.documents)))
    return 0
