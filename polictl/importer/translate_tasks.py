"""Registered tasks -> tasks.yaml: handler, options by the table, one retry policy each."""

from __future__ import annotations

from typing import Any

from engine.config.schemas import defaults
from polictl.importer.model import Translation
from polictl.importer.table import TASK_OBJECT, TASK_OPTIONS, Carry, Same
from polictl.importer.values import CELERY_NAME, NotCarried, duration

# What poli gives a task that says nothing (the JSON Schema's defaults): written into
# `defaults:` whenever Celery's value differs, so the tasks keep Celery's behaviour.
POLI_DEFAULTS = defaults("tasks", "$defs", "task_options")
RETRY_DEFAULTS = defaults("tasks", "properties", "retry_policies", "additionalProperties")


def retry_policy(options: dict[str, Any], bind: bool) -> dict[str, Any] | None:
    """Celery's autoretry options as a retry policy; None: the task never retries.
    A bound task without autoretry_for retries by hand (`self.retry`): its policy keeps
    max_retries and the default delay, and retries on nothing by itself."""
    retry_on = options["autoretry_for"]
    if not retry_on and not bind:
        return None
    delay = int(options["default_retry_delay"] or 0)
    policy: dict[str, Any] = {"max_retries": options["max_retries"]}
    if retry_on and options["retry_backoff"]:
        initial = int(max(1.0, options["retry_backoff"]))
        cap = int(options["retry_backoff_max"])
        policy.update(backoff="exponential", initial=initial, max=cap)
        policy["jitter"] = bool(options["retry_jitter"])
    else:
        cap = max(delay, RETRY_DEFAULTS["max"])  # a cap below the delay would be refused
        policy.update(backoff="fixed", initial=delay, max=cap, jitter=False)
    policy["retry_on"] = list(retry_on)
    if options["dont_autoretry_for"]:
        policy["dont_retry_on"] = list(options["dont_autoretry_for"])
    for key in ("initial", "max"):
        policy[key] = duration(policy[key])
    return policy


def _policy_name(policy: dict[str, Any], known: dict[str, dict[str, Any]]) -> str:
    for name, existing in known.items():
        if existing == policy:
            return name
    base = f"{policy['backoff']}-{policy['max_retries']}x"
    name, n = base, 2
    while name in known:
        name, n = f"{base}-{n}", n + 1
    known[name] = policy
    return name


def _options(out: Translation, name: str, task: dict[str, Any], entry: dict[str, Any]) -> None:
    file_defaults = out.files["tasks"].get("defaults", {})
    options = {**task["options"], "base": task["base"]}
    if not task["task_object"]:  # a task object passes `self` itself
        options["bind"] = task["bind"]
    for option, rule in TASK_OPTIONS.items():
        if option not in options:
            continue
        value = options[option]
        if isinstance(rule, Same) and value != rule.value:
            rule = rule.leave
            out.leave(f"task {name}: {option}={value!r}", rule.why, rule.todo)
        elif isinstance(rule, Carry) and value is not None:
            try:
                value = rule.convert(value) if rule.convert else value
            except NotCarried as exc:
                out.leave(f"task {name}: {option}", str(exc), "round it in the decorator")
                continue
            if value != file_defaults.get(option, POLI_DEFAULTS.get(option)):
                entry[option] = value


def translate_tasks(snapshot: dict[str, Any], out: Translation) -> None:
    tasks_section = out.section("tasks", "tasks")
    policies = out.files["tasks"].setdefault("retry_policies", {})
    for name, task in snapshot["tasks"].items():
        if not CELERY_NAME.match(name):
            out.leave(f"task {name!r}", "a task name is 1 to 255 printable characters",
                      "rename the task (name=...) and the code that sends it")  # fmt: skip
            continue
        if task["handler"] is None:
            out.leave(
                f"task {name}",
                f"no handler to name: {task['no_handler']}",
                "move its code into a module-level function and add it to tasks.yaml",
            )
            continue
        entry: dict[str, Any] = {"handler": task["handler"]}
        _options(out, name, task, entry)
        policy = retry_policy(task["options"], task["bind"])
        if policy is not None:
            entry["retry"] = _policy_name(policy, policies)
        tasks_section[name] = entry
    if not policies:
        del out.files["tasks"]["retry_policies"]
    objects = [n for n in tasks_section if snapshot["tasks"][n]["task_object"]]
    if objects and TASK_OBJECT is not None:
        out.leave(f"tasks {', '.join(objects)}", TASK_OBJECT.why, TASK_OBJECT.todo)
