"""The formats `polictl render` knows: their renderers and the files each owns."""

from __future__ import annotations

from collections.abc import Callable

from engine.model import Platform
from generators.compose import render_compose
from generators.kubernetes import render_kubernetes
from generators.prometheus import render_prometheus
from generators.supervisor import render_supervisor
from generators.systemd import render_systemd

RENDERERS: dict[str, Callable[[Platform], dict[str, str]]] = {
    "compose": render_compose,
    "kubernetes": render_kubernetes,
    "prometheus": render_prometheus,
    "supervisor": render_supervisor,
    "systemd": render_systemd,
}

# The files each format owns in its output directory, so `--check` can report (and a
# render can remove) a stale one, e.g. the unit of a worker group that was deleted,
# without touching anything else that lives there.
OWNED: dict[str, tuple[str, ...]] = {
    "compose": ("compose.yaml", "Dockerfile"),
    "kubernetes": (
        "configmap.yaml",
        "networkpolicy.yaml",
        "worker-*.yaml",
        "beat.yaml",
        "flower.yaml",
        "console.yaml",
        "keda/*.yaml",
    ),
    "prometheus": ("poli-rules.yml",),
    "supervisor": ("poli.conf",),
    "systemd": ("poli-*.service", "poli.target", "tmpfiles.d/poli.conf"),
}
