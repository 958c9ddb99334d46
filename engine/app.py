"""`celery -A engine.app worker|beat|inspect|flower`: the app built from the YAML.

The config is read from $POLI_CONFIG_DIR, else the current directory, with the
overlay named by $POLI_ENVIRONMENT applied when set. An invalid
config stops the process with the same diagnostics `polictl validate` prints.
A validated model is kept under the data dir (engine/config/cache.py), so a start
with nothing changed skips reading and checking the YAML.
"""

from __future__ import annotations

import sys

from engine.config.cache import cached_platform
from engine.config.environment import config_dir_from_env, environment_from_env
from engine.diagnostics import format_text
from engine.runtime.embedded import data_dir


def _validated(use_cache: bool):  # -> engine.model.Platform; exits on an invalid config
    config_dir, environment = config_dir_from_env(), environment_from_env()
    if use_cache:
        found, diagnostics, _ = cached_platform(config_dir, environment, data_dir(config_dir))
    else:
        from engine.config import load

        result = load(config_dir, environment)
        found, diagnostics = result.platform, result.diagnostics
    if found is None:
        print(format_text(diagnostics), file=sys.stderr)
        raise SystemExit(1)
    return found


platform = _validated(use_cache=True)

from engine.runtime.celery_app import build_app  # noqa: E402 - only once the config is valid

try:
    app = build_app(platform)
except Exception:  # something the cache could not see broke a handler: say what, in full
    platform = _validated(use_cache=False)
    app = build_app(platform)
celery = app
