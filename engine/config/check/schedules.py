"""The checks of schedules.yaml that a schema cannot express: tasks that exist, arguments
that fit their handler, cron expressions that fire, time zones, durations above zero.
`semantic.Checker` runs them with the rest (they use its documents and its `out`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config.options import effective, effective_task_options
from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic, did_you_mean
from engine.durations import parse_duration
from engine.imports import ImportProblem
from engine.inputs import contract_for
from engine.model import cron
from engine.model.schedule_times import never_fires


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class ScheduleChecks:
    s: Document
    tasks: dict[str, Any]
    out: list[Diagnostic]

    # semantic.Checker, the class these checks are mixed into, provides it
    undeclared: Callable[[Document, tuple, Any, str], None]

    def schedules(self) -> None:
        self.timezone(("timezone",), effective("schedules.yaml", self.s.data)["timezone"])
        if parse_duration(mapping(self.s.data.get("beat")).get("lock_ttl")) == 0:
            self.out.append(
                error(
                    self.s.pos(("beat", "lock_ttl")),
                    "lock-ttl-zero",
                    "beat.lock_ttl must be at least 1s: beats renew the lock within it",
                )
            )
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
                    did_you_mean(task, list(self.tasks)) or "declare it in tasks.yaml",
                )
            )
        elif isinstance(task, str):
            self.arguments(name, spec, self.tasks[task])
        if "queue" in spec:
            self.undeclared(self.s, (*base, "queue"), spec["queue"], f"schedule {name!r}")
        if isinstance(spec.get("cron"), str):
            try:
                fields = cron.normalise(spec["cron"])
            except cron.CronError as problem:
                where = self.s.pos((*base, "cron"))
                self.out.append(error(where, "cron", str(problem), problem.hint))
            else:
                if never_fires(" ".join(fields)):
                    message = f"cron expression {spec['cron']!r} never fires: no such date"
                    self.out.append(error(self.s.pos((*base, "cron")), "cron-never", message))
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
        if "catchup" in spec and parse_duration(spec["catchup"]) == 0:
            self.out.append(
                error(
                    self.s.pos((*base, "catchup")),
                    "catchup-zero",
                    f"schedule {name!r}: a catchup deadline of 0s would drop every run",
                    "use skip, or a deadline of at least 1s",
                )
            )

    def arguments(self, name: str, spec: dict, task: Any) -> None:
        """Schedule args/kwargs must bind to the handler and fit its type hints (engine.inputs)."""
        handler_spec = mapping(task).get("handler")
        values = effective("schedule", spec)
        args, kwargs = values["args"], values["kwargs"]
        if not (
            isinstance(handler_spec, str) and isinstance(args, list) and isinstance(kwargs, dict)
        ):
            return
        try:
            bind = effective_task_options(self.t.data, task).get("bind") is True
            contract = contract_for(handler_spec, bind)
        except ImportProblem:
            return  # reported on the task itself
        base = ("schedules", name)
        for misfit in contract.misfits(args, kwargs):
            where = misfit.where or ("kwargs" if "kwargs" in spec else "args",)
            self.out.append(
                error(
                    (self.s.key_pos if misfit.on_key else self.s.pos)((*base, *where)),
                    "bad-args",
                    f"schedule {name!r}: arguments do not fit {contract.describe()}: {misfit.message}",
                )
            )

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
