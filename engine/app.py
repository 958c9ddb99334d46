"""`celery -A engine.app worker|beat|inspect|flower`: the app built from the YAML.

The config is read from $POLI_CONFIG_DIR, else the current directory, with the
overlay named by $POLI_ENVIRONMENT applied when set. Like `polictl`, this is where
a process starts, so it is where a user's mistake (an invalid config, an embedded
broker that is not running) becomes a message on stderr and exit status 1: the
same diagnostics `polictl validate` prints, never a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from engine.config import config_dir_from_env, environment_from_env, load
from engine.diagnostics import UserError
from engine.model import Platform

if TYPE_CHECKING:
    from celery import Celery


def _build() -> tuple[Platform, Celery]:
    result = load(config_dir_from_env(), environment_from_env())
    if result.platform is None:
        raise UserError("the config is invalid", diagnostics=result.diagnostics)
    from engine.runtime.celery_app import build_app  # only once the config is valid

    return result.platform, build_app(result.platform)


try:
    platform, app = _build()
except UserError as problem:
    print(problem.format(), file=sys.stderr)
    raise SystemExit(problem.exit_code) from None
celery = app
