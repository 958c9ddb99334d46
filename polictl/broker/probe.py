"""Round trips through the real system: the ping probe on every queue, and `polictl run`."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.diagnostics import UserError, did_you_mean
from engine.model import Platform, Task
from polictl.broker import session as broker
from polictl.stack.hosts import live_hosts

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

PROBE_TASK = "system.ping"
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class ProbeResult:
    queue: str
    consumers: tuple[str, ...]
    latency: float | None  # seconds, when the probe came back
    problem: str = ""  # why it did not, in the operator's words
    answered_by: str = ""  # the host the probe ran on, as it reported itself

    @property
    def hosts(self) -> tuple[str, ...]:
        return live_hosts(self.consumers)

    @property
    def ok(self) -> bool:
        return not self.problem


def declared_task(platform: Platform, name: str) -> Task:
    """The task called `name`, or a UserError with a did-you-mean hint."""
    names = [task.name for task in platform.tasks]
    if name in names:
        return platform.task(name)
    hint = did_you_mean(name, names) or "see tasks.yaml for the declared tasks"
    raise UserError(f"task {name!r} is not declared in tasks.yaml", hint=hint)


def send(
    app: Celery, task: Task, args: list[Any], kwargs: dict[str, Any], **options: Any
) -> AsyncResult:
    """Send a declared task through its route, as the platform would."""
    return app.send_task(task.name, args=args, kwargs=kwargs, queue=task.queue, **options)


def ping(app: Celery, platform: Platform, timeout: float) -> list[ProbeResult]:
    """Send the probe through every queue at once; wait at most `timeout` for all replies."""
    declared_task(platform, PROBE_TASK)
    live = broker.consumers(app, timeout=min(1.0, timeout))
    sent = {
        queue.name: (time.monotonic(), app.send_task(PROBE_TASK, queue=queue.name, expires=timeout))
        for queue in platform.queues
    }
    latencies: dict[str, float] = {}
    failures: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(latencies) + len(failures) < len(sent) and time.monotonic() < deadline:
        for name, (started, result) in sent.items():
            if name in latencies or name in failures or not result.ready():
                continue
            if result.successful():
                latencies[name] = time.monotonic() - started
            else:
                failures[name] = f"probe failed: {result.result!r}"
        time.sleep(POLL_SECONDS)
    outcomes = [
        _outcome(name, tuple(live.get(name, ())), latencies, failures, timeout) for name in sent
    ]
    return [_answered_by(outcome, sent[outcome.queue][1]) for outcome in outcomes]


def _answered_by(outcome: ProbeResult, result: AsyncResult) -> ProbeResult:
    """system.ping reports the host it ran on; keep it beside the latency."""
    value = result.result if outcome.ok else None
    host = value.get("host") if isinstance(value, dict) else None
    return dataclasses.replace(outcome, answered_by=host) if isinstance(host, str) else outcome


def _outcome(
    queue: str,
    consumers: tuple[str, ...],
    latencies: dict[str, float],
    failures: dict[str, str],
    timeout: float,
) -> ProbeResult:
    if queue in latencies:
        return ProbeResult(queue, consumers, latencies[queue])
    if queue in failures:
        return ProbeResult(queue, consumers, None, failures[queue])
    if not consumers:
        return ProbeResult(queue, consumers, None, "no worker consumes this queue")
    return ProbeResult(queue, consumers, None, f"no reply within {timeout:g}s")
