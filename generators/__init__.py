"""Deployments rendered from the model: each `render_X(platform)` is pure and returns
`{relative_path: text}`; writing is the CLI's job (engine.atomic.write_tree)."""

from __future__ import annotations

from collections.abc import Callable

from engine.model import Platform
from generators.supervisor import render_supervisor
from generators.systemd import render_systemd

RENDERERS: dict[str, Callable[[Platform], dict[str, str]]] = {
    "supervisor": render_supervisor,
    "systemd": render_systemd,
}
