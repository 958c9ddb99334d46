"""Cross-file checks that a schema cannot express. Each returns diagnostics.

They run even when the schema found problems (so one run reports everything),
so every lookup here is defensive about types.
"""

from __future__ import annotations

from typing import Any

from engine.config.check import broker, celery_passthrough, deploy, queue_types
from engine.config.check import hosts as placement
from engine.config.check.handlers import check_base, check_handler, declared_values
from engine.config.check.kubernetes import check_kubernetes
from engine.config.check.pools import check_pools
from engine.config.check.reliability import check_reliability
from engine.config.check.schedules import ScheduleChecks, mapping
from engine.config.options import effective, effective_task_options, route_queue
from engine.config.read.loader import Document, error
from engine.diagnostics import WARNING, Diagnostic, did_you_mean
from engine.durations import parse_duration
from engine.imports import ImportProblem, resolve_exception
from engine.model import DEFAULT_QUEUE


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class Checker(ScheduleChecks):
    def __init__(self, docs: dict[str, Document]) -> None:
        self.q, self.t, self.s = docs["queues"], docs["tasks"], docs["schedules"]
        self.declared = list(mapping(self.q.data.get("queues")))
        routes = self.q.data.get("routes")
        self.routes = [r for r in routes if isinstance(r, dict)] if isinstance(routes, list) else []
        self.tasks = mapping(self.t.data.get("tasks"))
        self.out: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        for check in (
            self.routes_and_workers,
            self.retry_policies,
            self.tasks_check,
            self.schedules,
            self.queue_usage,
            self.eager_mode,
        ):
            check()
        return self.out + check_pools(self.q, self.t)

    def eager_mode(self) -> None:
        """`eager: true` is for development: say so wherever it is on (README: eager mode)."""
        if self.t.data.get("eager") is True:
            pos = self.t.pos(("eager",))
            message = "eager mode is on: tasks run in the process that sends them, without a broker, time limits or retry delays"
            hint = "for development and tests only; set it in an overlay (tasks.development.yaml)"
            self.out.append(
                Diagnostic(pos.file, pos.line, pos.column, WARNING, "eager", message, hint)
            )

    def undeclared(self, doc: Document, path: tuple, queue: Any, what: str) -> None:
        if isinstance(queue, str) and queue not in self.declared:
            self.out.append(
                error(
                    doc.pos(path),
                    "undeclared-queue",
                    f"{what} names undeclared queue {queue!r}",
                    did_you_mean(queue, self.declared)
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
            policy = effective("retry_policy", policy)
            initial, cap = parse_duration(policy["initial"]), parse_duration(policy["max"])
            if initial is not None and cap is not None and initial > cap:
                self.out.append(
                    error(
                        self.t.pos(("retry_policies", name, "initial")),
                        "retry-initial",
                        f"retry policy {name!r}: initial delay {initial}s exceeds its cap (max) {cap}s",
                        "lower `initial` or raise `max`",
                    )
                )
            for key in ("retry_on", "dont_retry_on"):
                for index, exc in enumerate(_names(policy.get(key))):
                    try:
                        resolve_exception(exc)
                    except ImportProblem as problem:
                        path = ("retry_policies", name, key, index)
                        self.out.append(error(self.t.pos(path), "bad-exception", str(problem)))

    def tasks_check(self) -> None:
        policies = list(mapping(self.t.data.get("retry_policies")))
        for name, spec in self.tasks.items():
            if not isinstance(spec, dict):
                continue
            options = effective_task_options(self.t.data, spec)
            retry = options.get("retry")
            if isinstance(retry, str) and retry != "none" and retry not in policies:
                where = ("tasks", name, "retry") if "retry" in spec else ("defaults", "retry")
                self.out.append(
                    error(
                        self.t.pos(where),
                        "unknown-policy",
                        f"task {name!r} names undeclared retry policy {retry!r}",
                        did_you_mean(retry, policies)
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
                queue = spec.get("queue") or route_queue(name, self.routes)
                declared = declared_values(options, queue, self.t.data.get("retry_policies"))
                self.out += check_handler(self.t, name, spec["handler"], declared)
            self.out += check_base(self.t, name, options.get("base"), "base" in spec)

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

    def landing(self) -> dict[str, list[str]]:
        """Queue -> what is routed to it: task names, and `schedule NAME` for a schedule's queue."""
        landing: dict[str, list[str]] = {}
        for name, spec in self.tasks.items():
            queue = mapping(spec).get("queue")
            queue = queue if isinstance(queue, str) else route_queue(name, self.routes)
            landing.setdefault(queue, []).append(name)
        for name, spec in mapping(self.s.data.get("schedules")).items():
            if isinstance(mapping(spec).get("queue"), str):
                landing.setdefault(spec["queue"], []).append(f"schedule {name}")
        return landing

    def queue_usage(self) -> None:
        """A queue no worker group consumes never runs what reaches it: a route, a schedule,
        or code that names it (`apply_async(queue=...)`), so it is an error either way. A
        consumed queue no route names is fine: code may reach it (`polictl status` says so)."""
        landing = self.landing()
        consumed = {
            q
            for g in mapping(self.q.data.get("workers")).values()
            for q in _names(mapping(g).get("queues"))
        }
        for queue in self.declared:
            if queue in consumed:
                continue
            hint = "add the queue to a worker group's `queues:`"
            if queue in landing:
                what = f"but {landing[queue][0]!r} is routed to it (it would never run)"
            else:
                what = "so a task sent to it from code (apply_async(queue=...)) would never run"
                hint += ", or remove it"
            self.out.append(
                error(
                    self.q.key_pos(("queues", queue)),
                    "unconsumed-queue",
                    f"queue {queue!r} is consumed by no worker group, {what}",
                    hint,
                )
            )


def check(docs: dict[str, Document]) -> list[Diagnostic]:
    checker = Checker(docs)
    hosts = placement.check(docs["queues"], docs["schedules"], checker.landing())
    return (
        checker.run()
        + broker.check(docs["queues"])
        + queue_types.check(docs["queues"])
        + deploy.check(docs["queues"])
        + check_kubernetes(docs["queues"])
        + hosts
        + check_reliability(docs["queues"])
        + celery_passthrough.check(docs["queues"])
    )
