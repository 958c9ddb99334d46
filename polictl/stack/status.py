"""`polictl status`: collect what is running into a report (a value), then print it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from engine.config.check.celery_env import ignored
from engine.model import Platform
from polictl.beat_report import BeatReport, collect_beat
from polictl.broker import session as broker
from polictl.runs import schedule_problems
from polictl.stack import hosts
from polictl.stack.layout import Layout
from polictl.stack.supervisor import Program, Supervisor

if TYPE_CHECKING:
    from celery import Celery


@dataclass(frozen=True)
class QueueRow:
    name: str
    depth: int | None
    consumers: tuple[str, ...]
    groups: tuple[str, ...]  # worker groups declared to consume it
    hosts: tuple[str, ...] = ()  # hosts of the live consumers (their node names' @HOST)
    declared_hosts: tuple[str, ...] = ()  # hosts of `hosts:` placed to consume it
    routed: bool = True  # a task or schedule lands on it (else: reached from code only)

    @property
    def missing_hosts(self) -> tuple[str, ...]:
        return hosts.missing(self.declared_hosts, self.hosts)


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    task: str
    queue: str
    next_run: datetime | None  # None when disabled
    last_run: str | None = None  # the due time of the run beat sent last
    expired: int = 0  # runs a worker revoked unstarted, past their `expires`
    paused: str | None = None  # an operator's pause, in words (polictl pause)


@dataclass(frozen=True)
class StatusReport:
    supervisord: bool
    programs: tuple[Program, ...]
    broker_url: str
    broker_problem: str | None
    queues: tuple[QueueRow, ...]
    schedules: tuple[ScheduleRow, ...]
    beat: BeatReport | None = None
    ignored_env: tuple[str, ...] = ()  # Celery's own variables set here: named, not used
    dead_letters: tuple[tuple[str, int], ...] = ()  # (task, count): polictl dead list
    schedule_problems: tuple[str, ...] = ()  # missed, failed, over time (polictl.runs)

    @property
    def problems(self) -> list[str]:
        found = [] if self.supervisord else ["the stack is not running (polictl up)"]
        found += [f"{p.full_name} is {p.state}" for p in self.programs if not p.running]
        if self.broker_problem:
            found.append(f"broker unreachable: {self.broker_problem}")
        elif not self.supervisord:  # `polictl up` runs every group here, whatever `hosts:` says
            found += [
                f"queue {q.name} has no consumer on host {', '.join(q.missing_hosts)}"
                for q in self.queues
                if q.missing_hosts
            ]
        beat = self.beat
        if beat and beat.holder and not beat.matches_disk:
            why = f": {beat.refusal}" if beat.refusal else " (polictl logs beat)"
            found.append(f"beat runs other files than those on disk{why}")
        return found + list(self.schedule_problems)

    @property
    def by_host(self) -> bool:
        """Whether the deployment declares hosts (then the queue table has a HOSTS column)."""
        return any(q.declared_hosts for q in self.queues)


def collect(platform: Platform, layout: Layout) -> StatusReport:
    supervisor = Supervisor(layout)
    alive = supervisor.alive()
    programs = tuple(supervisor.programs()) if alive else ()
    app = broker.celery_app(platform)
    problem = broker.unreachable(app)
    names = [q.name for q in platform.queues]
    depths = broker.queue_depths(app, names) if problem is None else {}
    live = broker.consumers(app) if problem is None else {}
    queues = tuple(
        QueueRow(
            name,
            depths.get(name),
            tuple(live.get(name, ())),
            tuple(g.name for g in platform.consumers_of(name)),
            hosts.live_hosts(live.get(name, ())),
            platform.hosts_consuming(name),
            routed=bool(platform.reached_by(name)),
        )
        for name in names
    )
    letters = dead_letter_counts(app) if problem is None else ()
    beat = collect_beat(platform)
    return StatusReport(
        alive,
        programs,
        broker.masked_url(app),
        problem,
        queues,
        schedules(platform, beat),
        beat,
        tuple(message for _, message in ignored(os.environ, platform.env_reads)),
        dead_letters=letters,
        schedule_problems=tuple(schedule_problems(platform, beat)),
    )


def dead_letter_counts(app: Celery) -> tuple[tuple[str, int], ...]:
    from engine.runtime.delivery.reliability import dead_letters, keeps_state

    return tuple(sorted(dead_letters(app).counts().items())) if keeps_state(app) else ()


def schedules(platform: Platform, beat: BeatReport | None = None) -> tuple[ScheduleRow, ...]:
    return tuple(
        ScheduleRow(
            s.name,
            s.task,
            s.queue,
            s.next_runs(1)[0] if s.enabled else None,
            beat.last_run(s.name) if beat else None,
            beat.expired.get(s.name, 0) if beat else 0,
            beat.paused(s.name) if beat else None,
        )
        for s in platform.schedules
    )
