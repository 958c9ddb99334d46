"""A Celery app's snapshot -> the three files' data, and what could not be carried."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from engine.model import DEFAULT_QUEUE  # where an unrouted task lands
from engine.secrets import is_secret_key, mask_data, mask_value
from polictl.importer.model import Translation
from polictl.importer.table import (
    NOT_YAML,
    OWNED_SETTINGS,
    PASS_THROUGH,
    SETTINGS,
    Carry,
    Leave,
    Note,
    Same,
    owned,
)
from polictl.importer.translate_schedules import translate_schedules
from polictl.importer.translate_tasks import POLI_DEFAULTS, translate_tasks
from polictl.importer.values import NAME, NotCarried, secret_keys, without_keys, without_password
from polictl.importer.workers import WorkerSpec, propose_workers

DEFAULTS = {"enable_utc": True}  # Celery's, for the Note rows
URL_VARIABLES = {"broker.url": "POLI_BROKER_URL", "broker.result_backend": "POLI_RESULT_BACKEND"}
SECRET_OPTION = ("a secret: poli writes no secret into the files",
                 "add `{path}: ${{VARIABLE}}` under broker.transport_options and set VARIABLE "
                 "in the environment file")  # fmt: skip
REGEX = ("poli's routes are globs on task names; a regex cannot be written as one",
         "each registered task it matched got `queue:` in tasks.yaml; for names sent by other "
         "code, write a glob route")  # fmt: skip
ROUTER = ("a router function decides in code, at send time",
          "each registered task got the queue it gives with no arguments (`queue:` in "
          "tasks.yaml); if it routes on arguments, split the task or route by name")  # fmt: skip


def _url(out: Translation, key: str, value: str | None) -> str:
    variable = URL_VARIABLES[key]
    if value is None:  # no broker named: Celery would try amqp://localhost
        return f"${{{variable}:-{'embedded' if key == 'broker.url' else 'none'}}}"
    plain, had_password = without_password(value)
    path = ("queues", "broker", key.split(".")[1])
    if had_password:
        out.comment(path, f"password left out: put the whole URL in {variable}")
        out.environment[variable] = value
    return f"${{{variable}:-{plain}}}"


def _set(out: Translation, rule: Carry, value: Any) -> None:
    *parents, last = rule.key.split(".")
    node = out.files[rule.file]
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _rule(key: str, value: Any) -> Carry | Same | Leave | Note | object:
    """The table's row for `key`; else through `celery:`, unless poli sets it itself."""
    if key in SETTINGS:
        return SETTINGS[key]
    if key in OWNED_SETTINGS:
        return owned(key)
    if "__repr__" in repr(value):  # read_parts.jsonable's mark of a Python object
        return NOT_YAML
    if is_secret_key(key) or mask_value(key, mask_data(value)) != value:
        return Leave(SECRET_OPTION[0], f"add `{key}: ${{VARIABLE}}` under celery: in queues.yaml "
                     "and set VARIABLE in the environment file")  # fmt: skip
    return Carry(PASS_THROUGH.file, PASS_THROUGH.key.format(setting=key))


def translate_settings(conf: dict[str, Any], out: Translation, workers: dict[str, Any]) -> None:
    defaults = out.files["tasks"].setdefault("defaults", {})
    defaults["acks_late"] = bool(conf.get("task_acks_late", False))
    for key, value in conf.items():  # Elsewhere rows: read by another part, or implied
        rule = _rule(key, value)
        if isinstance(rule, Same):
            if value == rule.value or (isinstance(value, list) and value == list(rule.value or [])):
                continue
            rule = rule.leave
        if isinstance(rule, Leave):
            shown = mask_value(key, mask_data(value))  # a report never shows a secret either
            out.leave(f"setting {key}={shown!r}", rule.why, rule.todo)
        elif isinstance(rule, Note) and value != DEFAULTS.get(key):
            out.notes.append(f"setting {key}={value!r}: {rule.text}")
        elif isinstance(rule, Carry) and rule.key.startswith("workers.*."):
            workers[rule.key.rsplit(".", 1)[1]] = value
        elif isinstance(rule, Carry) and rule.key in URL_VARIABLES:
            _set(out, rule, _url(out, rule.key, value))
        elif key == "broker_transport_options" and secret_keys(value):
            for path in secret_keys(value):
                out.leave(
                    f"setting {key}: {path}", SECRET_OPTION[0], SECRET_OPTION[1].format(path=path)
                )
            _set(out, rule, without_keys(value, secret_keys(value)))
        elif isinstance(rule, Carry) and value is None:
            continue  # Celery's default: the schema's own (timezone None is UTC)
        elif isinstance(rule, Carry):
            try:
                _set(out, rule, rule.convert(value) if rule.convert else value)
            except NotCarried as exc:
                out.leave(f"setting {key}", str(exc), "use a whole number of seconds")
    if conf.get("result_backend") and conf.get("result_backend") == conf.get("broker_url"):
        out.files["queues"]["broker"]["result_backend"] = "${POLI_RESULT_BACKEND:-broker}"
        out.comments[("queues", "broker", "result_backend")] = "the broker's own Redis"
        out.environment.pop("POLI_RESULT_BACKEND", None)
    for key, value in POLI_DEFAULTS.items():
        if defaults.get(key, value) == value and key != "acks_late":
            defaults.pop(key, None)


def _routes(snapshot: dict[str, Any], out: Translation) -> list[dict[str, str]]:
    routes = []
    for route in snapshot["routes"]:
        where = f"task_routes {route.get('pattern') or route.get('name')!r}"
        if route["kind"] == "function":
            out.leave(where, *ROUTER)
        elif route["kind"] == "regex":
            out.leave(where, *REGEX)
        elif route["queue"] is None:
            out.leave(where, "the route names no queue", "give it a queue")
        else:
            routes.append({"match": route["pattern"], "queue": route["queue"]})
            if route["extra"]:
                out.leave(f"{where}: {', '.join(route['extra'])}",
                          "a route carries only its queue", "use one queue per destination")  # fmt: skip
    default = snapshot["conf"].get("task_default_queue") or "celery"
    if default != DEFAULT_QUEUE:
        routes.append({"match": "*", "queue": default})
        out.comment(("queues", "routes", str(len(routes) - 1)), "task_default_queue")
    return routes


def _routed(routes: list[dict[str, str]], name: str) -> str:
    for route in routes:  # Celery's own rule: fnmatch for `*` keys, else the exact name
        pattern = route["match"]
        if pattern == name or ("*" in pattern and re.match(fnmatch.translate(pattern), name)):
            return route["queue"]
    return DEFAULT_QUEUE


def translate_queues(snapshot: dict[str, Any], out: Translation) -> None:
    routes = _routes(snapshot, out)
    queues = [q["name"] for q in snapshot["queues"]]
    for queue in snapshot["queues"]:
        if (queue["exchange"], queue["routing_key"]) != (queue["name"], queue["name"]):
            out.leave(f"queue {queue['name']!r}: exchange {queue['exchange']!r}, routing key "
                      f"{queue['routing_key']!r}", "poli names a queue's exchange and routing key "
                      "after the queue", "publish by queue name (routes), not by exchange")  # fmt: skip
    for name, entry in out.files["tasks"].get("tasks", {}).items():
        task = snapshot["tasks"][name]
        if task["queue"] is None:
            out.leave(f"task {name}: queue", f"the router failed: {task['queue_error']}",
                      "give the task a `queue:` in tasks.yaml")  # fmt: skip
        elif task["queue"] != _routed(routes, name):
            entry["queue"] = task["queue"]
            out.comment(
                ("tasks", "tasks", name),
                "queue: where the app sends it (its routes, or the task's own queue=)",
            )
    used = [r["queue"] for r in routes]
    used += [t.get("queue") or _routed(routes, n) for n, t in out.files["tasks"]["tasks"].items()]
    used += [s["queue"] for s in out.files["schedules"]["schedules"].values() if "queue" in s]
    section = out.section("queues", "queues")
    for queue in dict.fromkeys([*queues, *used]):
        if NAME.match(queue):
            section[queue] = {}
        else:
            out.leave(f"queue {queue!r}", "queue names are lowercase `a-z0-9_.-`",
                      "rename the queue (and its routes) in the app, then import again")  # fmt: skip
    if routes:
        out.files["queues"]["routes"] = routes


def translate(snapshot: dict[str, Any], spec: str, worker_specs: list[WorkerSpec]) -> Translation:
    out = Translation()
    out.files["queues"]["broker"] = {}
    worker_settings: dict[str, Any] = {}
    translate_settings(snapshot["conf"], out, worker_settings)
    out.files["schedules"].setdefault("timezone", "UTC")
    translate_tasks(snapshot, out)
    out.files["schedules"]["schedules"] = {}
    translate_schedules(snapshot, out)
    translate_queues(snapshot, out)
    reads = [k for k in snapshot.get("environment_reads", []) if not k.startswith("POLI_")]
    if reads:
        out.notes.append(
            f"the app read {', '.join(reads)} from the environment while loading: what depends "
            "on them was imported with this environment's values; import again under each "
            "environment and keep the differences in an overlay (queues.production.yaml, ...)"
        )
    out.files["queues"]["workers"] = propose_workers(
        list(out.files["queues"]["queues"]), worker_specs, worker_settings, out
    )
    return out
