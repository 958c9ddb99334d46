"""beat_schedule -> schedules.yaml: crontab as cron, intervals as `every`, the rest reported."""

from __future__ import annotations

from typing import Any

from engine.model.cron import CronError, normalise
from polictl.importer.model import Translation
from polictl.importer.table import SCHEDULE_OPTION_OTHER, SCHEDULE_OPTIONS, UNREGISTERED, Carry
from polictl.importer.values import CELERY_NAME, NotCarried, duration, slug

SOLAR = (
    "poli schedules are cron or intervals; a solar event moves every day",
    "use a cron at a fixed local time near the event, or compute it in the task",
)
BOTH_DAYS = (
    "Celery's crontab runs only when day-of-month AND day-of-week match; cron(5), and poli, "
    "run when either does",
    "split it into two schedules, or test the other condition inside the task",
)


DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _field(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in sorted(value))
    text = str(value).replace(" ", "").lower()
    for day in DAYS:  # Celery takes full day names; cron(5) the first three letters
        text = text.replace(day, day[:3])
    return text


def _timing(where: str, entry: dict[str, Any], out: Translation) -> dict[str, Any] | None:
    kind = entry["kind"]
    if kind == "crontab":
        cron = " ".join(_field(f) for f in entry["fields"])
        try:
            normalise(cron)
        except CronError as exc:
            out.leave(where, f"cron {cron!r} is not one poli reads: {exc}",
                      "write the timing as a cron poli reads (see Scheduling)")  # fmt: skip
            return None
        day_of_month, day_of_week = cron.split()[2], cron.split()[4]
        if not day_of_month.startswith("*") and not day_of_week.startswith("*"):  # Vixie's rule
            out.leave(where, *BOTH_DAYS)
            return None
        return {"cron": cron}
    if kind == "interval":
        if entry["relative"]:
            out.leave(where, "`relative=True` is not kept: poli's intervals run on a grid",
                      "drop `relative`, or use a cron")  # fmt: skip
        try:
            return {"every": duration(entry["seconds"])}
        except NotCarried as exc:
            out.leave(where, str(exc), "use a whole number of seconds")
            return None
    if kind == "solar":
        out.leave(where, *SOLAR)
        return None
    out.leave(
        where,
        f"schedule class {entry['class']} is not a crontab, interval or solar",
        "write its timing as a cron or an interval in schedules.yaml",
    )
    return None


def _options(where: str, entry: dict[str, Any], spec: dict[str, Any], out: Translation) -> None:
    for option, value in entry["options"].items():
        rule = SCHEDULE_OPTIONS.get(option, SCHEDULE_OPTION_OTHER)
        if isinstance(rule, Carry):
            try:
                spec[rule.key] = rule.convert(value) if rule.convert else value
            except NotCarried as exc:
                out.leave(f"{where}: option {option}", str(exc), "use a whole number of seconds")
        else:
            out.leave(f"{where}: option {option}={value!r}", rule.why, rule.todo)


def translate_schedules(snapshot: dict[str, Any], out: Translation) -> None:
    section = out.section("schedules", "schedules")
    zone = snapshot["conf"].get("timezone") or "UTC"
    declared = out.files["tasks"].get("tasks", {})
    for name, entry in snapshot["schedules"].items():
        where = f"beat entry {name!r}"
        if entry["task"] not in declared:
            if entry["task"] in snapshot["tasks"]:
                continue  # its task was left: said there
            out.leave(f"{where}: task {entry['task']!r}", UNREGISTERED.why, UNREGISTERED.todo)  # fmt: skip
            continue
        timing = _timing(where, entry, out)
        if timing is None:
            continue
        spec: dict[str, Any] = {"task": entry["task"], **timing}
        if entry["args"]:
            spec["args"] = entry["args"]
        if entry["kwargs"]:
            spec["kwargs"] = entry["kwargs"]
        if entry["timezone"] != zone:
            spec["timezone"] = entry["timezone"]
        _options(where, entry, spec, out)
        new = name if CELERY_NAME.match(name) else _unique(slug(name), section)
        out.schedule_names[name] = new
        if new != name:
            out.comment(("schedules", "schedules", new), f"was {name!r} in beat_schedule")
        section[new] = spec


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name[:60]}-{n}", n + 1
    return candidate
