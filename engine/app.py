"""`celery -A engine.app worker|beat|inspect|flower`: the app built from the YAML.

The config is read from $POLI_CONFIG_DIR, else the current directory, with the
overlay named by $POLI_ENVIRONMENT applied when set. An invalid
config stops the process with the same diagnostics `polictl validate` prints.
"""

from __future__ import annotations

import sys

from engine.config import config_dir_from_env, environment_from_env, load
from engine.diagnostics import format_text

_result = load(config_dir_from_env(), environment_from_env())
if _result.platform is None:
    print(format_text(_result.diagnostics), file=sys.stderr)
    raise SystemExit(1)

from engine.runtime.celery_app import build_app  # noqa: E402 - only once the config is valid

platform = _result.platform
app = build_app(platform)
celery = app
