"""`polictl import --check`: the original app and poli's app from the files, compared task
by task (route, limits, retry policy, options) and schedule by schedule (its next fire
times in its zone). Every difference is one line; none means the import is complete."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from polictl.importer.read_parts import FIRE_TIMES
from polictl.importer.run import clean_environment, read_app
from polictl.importer.translate import URL_VARIABLES

ALWAYS = ("queue", "time_limit", "soft_time_limit", "rate_limit", "acks_late", "ignore_result",
          "track_started", "expires", "serializer", "autoretry_for", "dont_autoretry_for",
          "bind", "base", "priority", "retry_kwargs")  # fmt: skip
SETTINGS = ("broker_url", "result_backend", "timezone", "result_expires")


def poli_snapshot(
    project: Path, config_dir: Path, now: str, original: dict[str, Any]
) -> dict[str, Any]:
    """poli's app (`engine.app:app`) built from `config_dir`, with the original's broker and
    result URLs in the variables the files read (the files hold no password)."""
    conf = original["conf"]
    urls = {URL_VARIABLES["broker.url"]: conf.get("broker_url"),
            URL_VARIABLES["broker.result_backend"]: conf.get("result_backend")}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="poli-import-check-") as data:
        extra = {k: v for k, v in urls.items() if v}
        extra.update(POLI_CONFIG_DIR=str(config_dir.resolve()), POLI_DATA_DIR=data)
        env = clean_environment(extra, project)
        return read_app("engine.app:app", project, now, env)


def _compared(task: dict[str, Any]) -> dict[str, Any]:
    """What decides a task's behaviour: the values each app really holds."""
    options = task["options"]
    values = {k: options.get(k) for k in ALWAYS if k in options}
    values.update(queue=task["queue"], bind=task["bind"], base=task["base"])
    values["autoretry_for"] = sorted(options["autoretry_for"])
    retries = bool(options["autoretry_for"]) or task["bind"]
    if retries:
        values["max_retries"] = options["max_retries"]
    if options["autoretry_for"] and options["retry_backoff"]:
        values.update(
            {k: options[k] for k in ("retry_backoff", "retry_backoff_max", "retry_jitter")}
        )
    elif retries:
        values["default_retry_delay"] = options["default_retry_delay"]
    return values


def _differences(where: str, ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return [
        f"{where}{key}: Celery {ours.get(key)!r}, poli {theirs.get(key)!r}"
        for key in ours
        if ours.get(key) != theirs.get(key)
    ]


def compare_tasks(original: dict[str, Any], poli: dict[str, Any]) -> list[str]:
    lines = []
    for name, task in original["tasks"].items():
        if name not in poli["tasks"]:
            lines.append(f"task {name}: not in poli's app")
            continue
        lines += _differences(f"task {name}: ", _compared(task), _compared(poli["tasks"][name]))
    lines += [
        f"task {name}: only in poli's app"
        for name in poli["tasks"]
        if name not in original["tasks"]
    ]
    return lines


def _timing(entry: dict[str, Any]) -> dict[str, Any]:
    if entry["kind"] == "interval":
        return {"every": entry["seconds"]}
    if entry["kind"] == "crontab":
        return {"fire times": entry["next"]}
    return {"kind": entry["kind"]}


def compare_schedules(
    original: dict[str, Any], poli: dict[str, Any], names: dict[str, str]
) -> list[str]:
    lines = []
    for name, entry in original["schedules"].items():
        ours_name = names.get(name, name)
        theirs = poli["schedules"].get(ours_name)
        if theirs is None:
            lines.append(f"schedule {name}: not in poli's schedule")
            continue
        ours_values = {"task": entry["task"], "args": entry["args"], "kwargs": entry["kwargs"],
                       "queue": entry["options"].get("queue"), **_timing(entry)}  # fmt: skip
        theirs_values = {"task": theirs["task"], "args": theirs["args"], "kwargs": theirs["kwargs"],
                         "queue": theirs["options"].get("queue"), **_timing(theirs)}  # fmt: skip
        if ours_values.get("queue") is None:
            theirs_values["queue"] = None  # poli names the task's own queue: the same place
        for key in ours_values:
            if key == "fire times" and ours_values[key] != theirs_values.get(key):
                lines.append(
                    _first_fire_difference(name, ours_values[key], theirs_values.get(key) or [])
                )
            elif ours_values[key] != theirs_values.get(key):
                lines.append(
                    f"schedule {name}: {key}: Celery {ours_values[key]!r}, poli {theirs_values.get(key)!r}"
                )
    known = set(names.values())
    lines += [
        f"schedule {name}: only in poli's schedule"
        for name in poli["schedules"]
        if name not in known
    ]
    return lines


def _first_fire_difference(name: str, ours: list[str], theirs: list[str]) -> str:
    for index in range(FIRE_TIMES):
        a = ours[index] if index < len(ours) else None
        b = theirs[index] if index < len(theirs) else None
        if a != b:
            return f"schedule {name}: fire time {index + 1} of {FIRE_TIMES}: Celery {a}, poli {b}"
    return f"schedule {name}: fire times differ"


def compare_settings(original: dict[str, Any], poli: dict[str, Any]) -> list[str]:
    ours = {k: original["conf"].get(k) for k in SETTINGS}
    theirs = {k: poli["conf"].get(k) for k in SETTINGS}
    for values in (ours, theirs):  # Celery's defaults, said out loud
        values["result_expires"] = values["result_expires"] or 86400.0
        values["timezone"] = values["timezone"] or "UTC"
    return _differences("setting ", ours, theirs)


def compare(original: dict[str, Any], poli: dict[str, Any], names: dict[str, str]) -> list[str]:
    return [*compare_settings(original, poli), *compare_tasks(original, poli),
            *compare_schedules(original, poli, names)]  # fmt: skip
