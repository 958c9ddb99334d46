"""Celery's own environment variables: named, and ignored, so the YAML is the only config.

Read from the Celery source (5.4 to 5.7): `celery/app/utils.py` (Settings) reads
CELERY_BROKER_URL, CELERY_BROKER_READ_URL, CELERY_BROKER_WRITE_URL and
CELERY_RESULT_BACKEND before any setting; `celery/app/base.py` picks the loader from
CELERY_LOADER and the loader imports the module named by CELERY_CONFIG_MODULE;
`celery/bin/celery.py` copies BROKER_URL, RESULT_BACKEND, LOADER and CONFIG_MODULE into
those, and (auto_envvar_prefix="CELERY") takes every `celery worker` / `celery beat`
option from CELERY_WORKER_<OPTION> / CELERY_BEAT_<OPTION> when the command line omits it.
The app (engine/runtime/yaml_only.py, engine/app.py) ignores them all; this module is the
one home of their names and of the words that say so, for `validate`, `status` and the
worker's start-up log alike.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # engine.app imports this module: it must not pull in YAML loading
    from engine.config.read.loader import Document
    from engine.diagnostics import Diagnostic

BROKER = "the broker is broker.url in queues.yaml"
BACKEND = "the result backend is broker.result_backend in queues.yaml"
SETTINGS = "Celery's settings come from queues.yaml, tasks.yaml and schedules.yaml only"

# name -> (what poli uses instead, the key it competes with in queues.yaml)
VARIABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CELERY_BROKER_URL": (BROKER, ("broker", "url")),
    "CELERY_BROKER_READ_URL": (BROKER, ("broker", "url")),
    "CELERY_BROKER_WRITE_URL": (BROKER, ("broker", "url")),
    "BROKER_URL": (BROKER, ("broker", "url")),
    "CELERY_RESULT_BACKEND": (BACKEND, ("broker", "result_backend")),
    "RESULT_BACKEND": (BACKEND, ("broker", "result_backend")),
    "CELERY_CONFIG_MODULE": (SETTINGS, ()),
    "CONFIG_MODULE": (SETTINGS, ()),
    "CELERY_LOADER": (SETTINGS, ()),
    "LOADER": (SETTINGS, ()),
}
# `celery worker` / `celery beat` options taken from the environment: stripped by engine.app
OPTION_PREFIXES: dict[str, str] = {
    "CELERY_WORKER_": "worker options come from the worker groups in queues.yaml",
    "CELERY_BEAT_": "beat options come from the command line poli renders for beat",
}
HINTS = {
    BROKER: "unset it; choose the broker with POLI_BROKER_URL or an overlay",
    BACKEND: "unset it; choose the result backend with POLI_RESULT_BACKEND or an overlay",
}
DEFAULT_HINT = "unset it; poli reads its settings from the YAML files only"


def _reason(name: str) -> str | None:
    if name in VARIABLES:
        return VARIABLES[name][0]
    return next((r for p, r in OPTION_PREFIXES.items() if name.startswith(p)), None)


def ignored(env: Mapping[str, str], read: Collection[str] = ()) -> list[tuple[str, str]]:
    """(name, message) for every Celery variable set (non-empty) in `env`, sorted by name,
    but those the YAML itself reads (`${CELERY_BROKER_URL}` in queues.yaml: not ignored)."""
    found = [(name, _reason(name)) for name in sorted(env) if env[name] and name not in read]
    return [(name, f"{name} is set and ignored: {reason}") for name, reason in found if reason]


def cli_options(env: Mapping[str, str]) -> list[str]:
    """The variables the `celery` command line would read as worker / beat options."""
    return [name for name in env if name.startswith(tuple(OPTION_PREFIXES))]


def interpolated(docs: Mapping[str, Document]) -> frozenset[str]:
    """The `${VAR}` names the loaded files read."""
    return frozenset(
        name for doc in docs.values() for found in doc.variables.values() for name, _ in found
    )


def diagnostics(docs: Mapping[str, Document], env: Mapping[str, str]) -> list[Diagnostic]:
    """A warning for each Celery variable set, at the queues.yaml key it competes with."""
    from engine.config.read.loader import Pos
    from engine.diagnostics import WARNING, Diagnostic

    queues = docs.get("queues")
    out = []
    for name, message in ignored(env, interpolated(docs)):
        reason = _reason(name) or ""
        key = VARIABLES.get(name, ("", ()))[1]
        pos = queues.pos(key) if queues is not None and key else Pos("queues.yaml", 1, 1)
        hint = HINTS.get(reason, DEFAULT_HINT)
        out.append(Diagnostic(pos.file, pos.line, pos.column, WARNING, "celery-env", message, hint))
    return out
