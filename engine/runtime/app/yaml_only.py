"""Keep Celery's own environment variables out of the app: the YAML is its only config.

Celery looks at CELERY_BROKER_URL, CELERY_BROKER_READ_URL, CELERY_BROKER_WRITE_URL and
CELERY_RESULT_BACKEND before the app's settings, picks its loader from CELERY_LOADER, and
the loader imports $CELERY_CONFIG_MODULE beneath them (engine/config/celery_env.py lists
them all). The settings and loader below answer from the app's settings only.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from celery import Celery
from celery.app.utils import Settings
from celery.loaders.app import AppLoader

from engine.config.check.celery_env import cli_options


class YamlOnlySettings(Settings):
    """Celery's Settings without its environment lookups (celery/app/utils.py)."""

    @property
    def broker_url(self) -> str | None:
        return self.first("broker_url", "broker_host")

    @property
    def broker_read_url(self) -> str | None:
        return self.get("broker_read_url") or self.broker_url

    @property
    def broker_write_url(self) -> str | None:
        return self.get("broker_write_url") or self.broker_url

    @property
    def result_backend(self) -> str | None:
        return self.first("result_backend", "CELERY_RESULT_BACKEND")


class YamlOnlyLoader(AppLoader):
    """Celery's app loader without $CELERY_CONFIG_MODULE."""

    def read_configuration(self, env: str = "CELERY_CONFIG_MODULE") -> None:
        return None


def yaml_only(app: Celery) -> Celery:
    """`app` answering broker and backend URLs from its own settings, not the environment.

    Swapping the class of the one Settings object Celery made (a subclass adding nothing but
    these properties) is the narrowest hook: Celery has no setting for its settings class.
    (object.__setattr__: the settings' own __setattr__ would store `__class__` as a key.)
    """
    object.__setattr__(app.conf, "__class__", YamlOnlySettings)
    return app


def strip_cli_options(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Remove CELERY_WORKER_* / CELERY_BEAT_* before `celery worker|beat` reads its options
    (they are parsed after `-A engine.app` is imported). Returns the names removed."""
    names = cli_options(environ)
    for name in names:
        del environ[name]
    return names
