"""Cross-file checks that a schema cannot express. Each returns diagnostics.

They run even when the schema found problems (so one run reports everything),
so every lookup here is defensive about types.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config import cron
from engine.config.loader import Document, error
from engine.config.options import DEFAULT_QUEUE, effective_task_options, route_queue
from engine.config.profiles import check_pools
from engine.diagnostics import WARNING, Diagnostic
from engine.durations import parse_duration
from engine.imports import ImportProblem, import_handler, resolve_exception


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean {close[0]!r}?" if close else None


class Checker:
    def __init__(self, docs: dict[str, Document]) -> None:
        self.q, self.t, self.s = docs["queues"], docs["tasks"], docs["schedules"]
        self.declared = list(mapping(self.q.data.get("queues")))
        routes = self.q.data.get("routes")
        self.routes = [r for r in routes if isinstance(r, dict)] if isinstance(routes, list) else []
        self.tasks = mapping(self.t.data.get("tasks"))
        self.defaults = mapping(self.t.data.get("defaults"))
        self.out: list[Diagnostic] = []
        self.signatures: dict[str, inspect.Signature | None] = {}

    def run(self) -> list[Diagnostic]:
        for check in (
            self.routes_and_workers,
            self.retry_policies,
            self.tasks_check,
            self.schedules,
            self.queue_usage,
        ):
            check()
        return self.out + check_pools(self.q, self.t)

    def undeclared(self, doc: Document, path: tuple, queue: Any, what: str) -> None:
        if isinstance(queue, str) and queue not in self.declared:
            self.out.append(
                error(
                    doc.pos(path),
                    "undeclared-queue",
                    f"{what} names undeclared queue {queue!r}",
                    _did_you_mean(queue, self.declared)
                    or "declare it under `queues:` in queues.yaml",
                )
            )

    def routes_and_workers(self) -> None:
        routes = self.q.data.get("routes")
        for index, route in enumerate(routes if isinstance(routes, list) else []):
            queue = mapping(route).get("queue")
            self.undeclared(self.q, ("routes", index, "queue"), queue, "route")
        for name, group in mapping(self.q.data.get("workers")).items():
            for index, queue in enumerate(_names(mapping(group).get("queues"))):
                path = ("workers", name, "queues", index)
                self.undeclared(self.q, path, queue, f"worker group {name!r}")

    def retry_policies(self) -> None:
        for name, policy in mapping(self.t.data.get("retry_policies")).items():
            policy = mapping(policy)
            initial = parse_duration(policy.get("initial", 60))
            cap = parse_duration(policy.get("max", 900))
            if initial is not None and cap is not None and initial > cap:
                self.out.append(
                    error(
                        self.t.pos(("retry_policies", name, "initial")),
                        "retry-initial",
                        f"retry policy {name!r}: initial delay {initial}s exceeds its cap (max) {cap}s",
                        "lower `initial` or raise `max`",
                    )
                )
            for index, exc in enumerate(_names(policy.get("retry_on"))):
                try:
                    resolve_exception(exc)
                except ImportProblem as problem:
                    path = ("retry_policies", name, "retry_on", index)
                    self.out.append(error(self.t.pos(path), "bad-exception", str(problem)))

    def tasks_check(self) -> None:
        policies = list(mapping(self.t.data.get("retry_policies")))
        for name, spec in self.tasks.items():
            if not isinstance(spec, dict):
                continue
            options = effective_task_options(self.defaults, spec)
            retry = options.get("retry")
            if isinstance(retry, str) and retry != "none" and retry not in policies:
                where = ("tasks", name, "retry") if "retry" in spec else ("defaults", "retry")
                self.out.append(
                    error(
                        self.t.pos(where),
                        "unknown-policy",
                        f"task {name!r} names undeclared retry policy {retry!r}",
                        _did_you_mean(retry, policies)
                        or "declare it under `retry_policies:` or write `none`",
                    )
                )
            self.time_limits(name, spec, options)
            if "queue" in spec:
                self.undeclared(self.t, ("tasks", name, "queue"), spec["queue"], f"task {name!r}")
            elif route_queue(name, self.routes) == DEFAULT_QUEUE not in self.declared:
                self.out.append(
                    error(
                        self.t.key_pos(("tasks", name)),
                        "undeclared-queue",
                        f"task {name!r} matches no route and there is no `default` queue",
                        "add a route for it, give it a `queue:`, or declare a `default` queue",
                    )
                )
            if isinstance(spec.get("handler"), str) and ":" in spec["handler"]:
                self.handler(name, spec["handler"])

    def time_limits(self, name: str, spec: dict, options: dict) -> None:
        hard = parse_duration(options.get("time_limit"))
        soft = parse_duration(options.get("soft_time_limit"))
        if hard is not None and soft is not None and soft >= hard:
            own = "soft_time_limit" in spec or "time_limit" in spec
            doc_path = (
                ("tasks", name, "soft_time_limit") if own else ("defaults", "soft_time_limit")
            )
            self.out.append(
                error(
                    self.t.pos(doc_path),
                    "soft-limit",
                    f"task {name!r}: soft_time_limit {soft}s is not below time_limit {hard}s",
                    "the soft limit must leave the task time to clean up before the hard kill",
                )
            )

    def handler(self, name: str, spec: str) -> None:
        try:
            import_handler(spec)
        except ImportProblem as problem:
            self.out.append(
                error(
                    self.t.pos(("tasks", name, "handler")),
                    "bad-handler",
                    f"task {name!r}: {problem}",
                )
            )

    def schedules(self) -> None:
        self.timezone(("timezone",), self.s.data.get("timezone", "UTC"))
        for name, spec in mapping(self.s.data.get("schedules")).items():
            if isinstance(spec, dict):
                self.schedule(name, spec)

    def schedule(self, name: str, spec: dict) -> None:
        base = ("schedules", name)
        task = spec.get("task")
        if isinstance(task, str) and task not in self.tasks:
            self.out.append(
                error(
                    self.s.pos((*base, "task")),
                    "unknown-task",
                    f"schedule {name!r} names unknown task {task!r}",
                    _did_you_mean(task, list(self.tasks)) or "declare it in tasks.yaml",
                )
            )
        elif isinstance(task, str):
            self.arguments(name, spec, self.tasks[task])
        if "queue" in spec:
            self.undeclared(self.s, (*base, "queue"), spec["queue"], f"schedule {name!r}")
        if isinstance(spec.get("cron"), str):
            try:
                cron.normalise(spec["cron"])
            except cron.CronError as problem:
                self.out.append(error(self.s.pos((*base, "cron")), "cron", str(problem)))
        if "every" in spec and parse_duration(spec["every"]) == 0:
            self.out.append(
                error(
                    self.s.pos((*base, "every")),
                    "every-zero",
                    f"schedule {name!r}: `every` must be longer than zero",
                )
            )
        if "timezone" in spec:
            self.timezone((*base, "timezone"), spec["timezone"])

    def arguments(self, name: str, spec: dict, task: Any) -> None:
        handler_spec = mapping(task).get("handler")
        args, kwargs = spec.get("args", []), spec.get("kwargs", {})
        if not (
            isinstance(handler_spec, str) and isinstance(args, list) and isinstance(kwargs, dict)
        ):
            return
        signature = self.signature(handler_spec)
        if signature is None:
            return  # reported on the task itself
        try:
            signature.bind(*args, **kwargs)
        except TypeError as problem:
            path = ("schedules", name, "kwargs" if "kwargs" in spec else "args")
            self.out.append(
                error(
                    self.s.pos(path),
                    "bad-args",
                    f"schedule {name!r}: arguments do not fit {handler_spec}{signature}: {problem}",
                )
            )

    def signature(self, handler_spec: str) -> inspect.Signature | None:
        """Each handler's signature once, however many schedules name it."""
        if handler_spec not in self.signatures:
            try:
                found = inspect.signature(import_handler(handler_spec))
            except (ImportProblem, TypeError, ValueError):
                found = None
            self.signatures[handler_spec] = found
        return self.signatures[handler_spec]

    def timezone(self, path: tuple, value: Any) -> None:
        if not isinstance(value, str):
            return
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.out.append(
                error(
                    self.s.pos(path),
                    "timezone",
                    f"unknown time zone {value!r}",
                    "use an IANA name such as UTC or Europe/Madrid",
                )
            )

    def queue_usage(self) -> None:
        """A routed-to queue without consumers never runs its tasks; an unused queue is noise."""
        landing: dict[str, list[str]] = {}
        for name, spec in self.tasks.items():
            queue = mapping(spec).get("queue")
            queue = queue if isinstance(queue, str) else route_queue(name, self.routes)
            landing.setdefault(queue, []).append(name)
        for name, spec in mapping(self.s.data.get("schedules")).items():
            if isinstance(mapping(spec).get("queue"), str):
                landing.setdefault(spec["queue"], []).append(f"schedule {name}")
        consumed = {
            q
            for g in mapping(self.q.data.get("workers")).values()
            for q in _names(mapping(g).get("queues"))
        }
        for queue in self.declared:
            pos = self.q.key_pos(("queues", queue))
            if queue in landing and queue not in consumed:
                self.out.append(
                    error(
                        pos,
                        "unconsumed-queue",
                        f"queue {queue!r} is consumed by no worker group, but {landing[queue][0]!r} is routed to it (it would never run)",
                        "add the queue to a worker group's `queues:`",
                    )
                )
            elif queue not in landing and queue != DEFAULT_QUEUE:  # the fallback for unrouted sends
                self.out.append(
                    Diagnostic(
                        pos.file,
                        pos.line,
                        pos.column,
                        WARNING,
                        "unused-queue",
                        f"queue {queue!r} is declared but no task is routed to it",
                    )
                )


def check(docs: dict[str, Document]) -> list[Diagnostic]:
    return Checker(docs).run()
