"""`celery -A engine.app worker|beat|inspect|flower`: the app built from the YAML.

The config is read from $POLI_CONFIG_DIR, else the current directory, with the
overlay named by $POLI_ENVIRONMENT applied when set. Like `polictl`, this is where
a process starts, so it is where a user's mistake (an invalid config, an embedded
broker that is not running) becomes a message on stderr and exit status 1: the
same diagnostics `polictl validate` prints, never a traceback.
Celery's own environment variables are ignored, and named in the start-up log.

A validated model is kept under the data dir (engine/config/cache.py), so a start with
nothing changed reads and checks no YAML.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from engine.config.cache import cached_platform
from engine.config.check.celery_env import ignored
from engine.config.read.environment import config_dir_from_env, environment_from_env
from engine.diagnostics import UserError
from engine.model import Platform
from engine.runtime.embedded import data_dir

if TYPE_CHECKING:
    from celery import Celery

_environment = dict(os.environ)  # before strip_cli_options() removes some of them


def _build(use_cache: bool) -> tuple[Platform, Celery]:
    config_dir, environment = config_dir_from_env(), environment_from_env()
    if use_cache:
        found, diagnostics, _ = cached_platform(config_dir, environment, data_dir(config_dir))
    else:
        from engine.config import load

        result = load(config_dir, environment)
        found, diagnostics = result.platform, result.diagnostics
    if found is None:
        raise UserError("the config is invalid", diagnostics=diagnostics)
    from engine.runtime.app.build import build_app  # only once the config is valid
    from engine.runtime.app.yaml_only import strip_cli_options

    strip_cli_options()
    return found, build_app(found)


try:
    try:
        platform, app = _build(use_cache=True)
    except UserError:
        raise
    except Exception:  # something the cache could not see broke a handler: check in full
        platform, app = _build(use_cache=False)
except UserError as problem:
    print(problem.format(), file=sys.stderr)
    raise SystemExit(problem.exit_code) from None
celery = app
_ignored = ignored(_environment, platform.env_reads)


def _name_ignored_variables(logger: logging.Logger, **_: object) -> None:
    for _name, message in _ignored:
        logger.warning("poli: %s", message)


from celery.signals import after_setup_logger  # noqa: E402 - Celery only once the app is built

after_setup_logger.connect(_name_ignored_variables, weak=False)
