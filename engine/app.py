"""`celery -A engine.app worker|beat|inspect|flower`: the app built from the YAML.

The config is read from $POLI_CONFIG_DIR, else the current directory, with the
overlay named by $POLI_ENVIRONMENT applied when set. An invalid
config stops the process with the same diagnostics `polictl validate` prints.
Celery's own environment variables are ignored, and named in the start-up log.
"""

from __future__ import annotations

import logging
import os
import sys

from engine.config import config_dir_from_env, environment_from_env, load
from engine.config.celery_env import ignored
from engine.diagnostics import format_text

_ignored = ignored(os.environ)
_result = load(config_dir_from_env(), environment_from_env())
if _result.platform is None:
    print(format_text(_result.diagnostics), file=sys.stderr)
    raise SystemExit(1)

from celery.signals import after_setup_logger  # noqa: E402 - only once the config is valid

from engine.runtime.celery_app import build_app  # noqa: E402
from engine.runtime.yaml_only import strip_cli_options  # noqa: E402

strip_cli_options()
platform = _result.platform
app = build_app(platform)
celery = app


@after_setup_logger.connect(weak=False)
def _name_ignored_variables(logger: logging.Logger, **_: object) -> None:
    for _name, message in _ignored:
        logger.warning("poli: %s", message)
