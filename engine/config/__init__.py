"""YAML -> validated model: `loader` (positions, interpolation), `overlay` (environment
overlays), `schema` (JSON Schema checks), `semantic` with `schedule_checks`, `deploy`,
`placement` and `kubernetes` (checks a schema cannot express; `kubernetes_target` when
rendering for Kubernetes), `celery_env` (Celery's own variables: named, ignored),
`options` (effective values over the schema's defaults), `model_builder` (the frozen
model), `transport` (checks on the built model), all run in that order by `pipeline.load`;
`provenance` (where each effective value came from) reads what it loaded."""

from __future__ import annotations

from typing import Any

__all__ = ["LoadResult", "config_dir_from_env", "environment_from_env", "load"]


def __getattr__(name: str) -> Any:
    """Imported on first use, so `engine.config.cache` starts without YAML or schemas."""
    if name in __all__:
        from engine.config import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'engine.config' has no attribute {name!r}")
