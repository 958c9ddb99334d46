"""Run as `python -m polictl.importer.reader MODULE:APP NOW`: load a Celery app the way
`celery -A` does (the current directory first on sys.path) and print what it knows as JSON.

It runs in a subprocess, so the user's import side effects and failures stay there: a
module that does not import, or an attribute that is not a Celery app, is one JSON error
line and exit status 3. Nothing of poli is imported here (poli's own app is read the same
way, `engine.app:app`, for `polictl import --check`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from datetime import datetime
from typing import Any

from polictl.importer.read_parts import jsonable, read_routes, read_schedules, read_tasks

FAILED = 3
READ_APART = ("beat_schedule", "task_queues", "task_routes", "deprecated_settings")
ALWAYS = ("broker_url", "result_backend", "timezone", "enable_utc", "task_default_queue")


_out: Any = sys.stdout


def _fail(kind: str, message: str) -> None:
    _out.write(json.dumps({"error": kind, "message": message}))
    _out.flush()
    sys.exit(FAILED)  # a subprocess's own exit status (this is no polictl command)


_env_reads: set[str] = set()
_STDLIB_MAPPING = ("os.py", "_collections_abc.py", "<frozen os>", "<frozen _collections_abc>")


def _track_environment(project: str) -> None:
    """Record the variables the project's own code reads while it loads: what it configured
    from them was read with this environment's values (an environment-dependent branch)."""
    original = os._Environ.__getitem__  # type: ignore[attr-defined]

    def getitem(self: Any, key: str) -> Any:
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename.endswith(_STDLIB_MAPPING):
            frame = frame.f_back
        if frame and frame.f_code.co_filename.startswith(project):
            _env_reads.add(key)
        return original(self, key)

    os._Environ.__getitem__ = getitem  # type: ignore[attr-defined]


def load_app(spec: str) -> Any:
    """The app as `celery -A SPEC` finds it: `module:attr`, `module.attr`, or a module
    (its `app` or `celery`, its `celery` submodule, or the one Celery app it holds)."""
    from celery import Celery
    from celery.app.utils import find_app

    module_name = spec.partition(":")[0]
    sys.path.insert(0, os.getcwd())
    _track_environment(os.getcwd() + os.sep)
    try:
        importlib.import_module(module_name)
    except BaseException as exc:  # the user's import-time failure, whatever it is
        if not isinstance(exc, ModuleNotFoundError) or "." not in module_name:
            _fail("import", _import_error(module_name, exc))
    try:
        found = find_app(spec)
    except BaseException as exc:
        if isinstance(exc, AttributeError | ModuleNotFoundError):
            _fail("not_app", f"{spec!r} names no Celery app: {exc}")
        _fail("import", _import_error(module_name, exc))
    if not isinstance(found, Celery):
        _fail("not_app", f"{spec!r} is a {type(found).__name__}, not a Celery app")
    return found


def _import_error(module_name: str, exc: BaseException) -> str:
    where = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename]
    at = f" (at {where[-1].filename}:{where[-1].lineno})" if where else ""
    return f"cannot import {module_name!r}: {type(exc).__name__}: {exc}{at}"


def read_conf(app: Any) -> dict[str, Any]:
    """Every Celery setting that differs from Celery's default, and the ones always shown."""
    from celery.app.defaults import DEFAULTS

    conf = app.conf
    changed = {}
    for key, default in DEFAULTS.items():
        if key in READ_APART:
            continue
        value = conf.get(key)
        if key in ALWAYS or value != default:
            changed[key] = jsonable(value)
    return changed


def snapshot(app: Any, now: datetime) -> dict[str, Any]:
    app.loader.import_default_modules()  # `imports`, `include`, autodiscovered tasks
    app.finalize(auto=True)
    conf = app.conf  # first access sends on_after_configure: entries added there count
    return {
        "main": app.main,
        "conf": read_conf(app),
        "queues": [
            {"name": q.name, "routing_key": q.routing_key, "exchange": q.exchange.name}
            for q in (conf.task_queues or ())
        ],
        "routes": read_routes(conf.task_routes),
        "tasks": read_tasks(app),
        "schedules": read_schedules(app, now),
        "environment_reads": sorted(_env_reads),
    }


def main(argv: list[str]) -> None:
    spec, now = argv[0], datetime.fromisoformat(argv[1])
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the user's prints go to stderr; the snapshot alone to stdout
    sys.stdout = sys.stderr
    global _out
    _out = out
    app = load_app(spec)
    try:
        data = snapshot(app, now)
    except Exception as exc:  # the user's app broke while configuring or finalizing
        _fail("read", f"reading {spec!r} failed: {type(exc).__name__}: {exc}")
    out.write(json.dumps(data, default=str))
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
