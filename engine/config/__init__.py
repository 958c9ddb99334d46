"""YAML -> validated model: `loader` (positions, interpolation), `overlay` (environment
overlays), `schema` (JSON Schema checks), `semantic` with `schedule_checks`, `deploy`,
`placement` and `kubernetes` (checks a schema cannot express; `kubernetes_target` when
rendering for Kubernetes), `celery_env` (Celery's own variables: named, ignored),
`options` (effective values over the schema's defaults), `model_builder` (the frozen
model), `transport` (checks on the built model), all run in that order by `pipeline.load`;
`provenance` (where each effective value came from) reads what it loaded."""

from engine.config.pipeline import LoadResult, config_dir_from_env, environment_from_env, load

__all__ = ["LoadResult", "config_dir_from_env", "environment_from_env", "load"]
