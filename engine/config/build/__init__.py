"""Stage 3, build: checked documents -> the frozen model (model.py), section by section
(kubernetes, worker-group profiles); defaults come from the schema (engine.config.schemas)."""
