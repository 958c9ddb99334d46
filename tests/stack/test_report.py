"""The status and ping reports as printed without a terminal, and the broker URL masked."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

from rich.console import Console

from polictl.beat_report import BeatReport
from polictl.broker.probe import ProbeResult
from polictl.stack.status import QueueRow, ScheduleRow, StatusReport
from polictl.stack.supervisor import Program
from polictl.stack.tables import print_ping, print_status


def plain() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, no_color=True, highlight=False), out


def test_status_report_names_what_is_not_running() -> None:
    report = StatusReport(
        supervisord=True,
        programs=(
            Program("redis", "redis", "RUNNING", 10, "pid 10, uptime 0:01:00"),
            Program("poli", "worker-default_01", "BACKOFF", 0, "Exited too quickly"),
        ),
        broker_url="redis://:**@127.0.0.1:6400/0",
        broker_problem=None,
        queues=(QueueRow("default", 3, (), ("default",)), QueueRow("spare", 0, (), ())),
        schedules=(
            ScheduleRow("nightly", "system.ping", "system", datetime(2030, 1, 1, 2, tzinfo=UTC)),
            ScheduleRow("heartbeat", "system.ping", "system", None),
        ),
    )
    con, out = plain()
    print_status(report, con)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert lines == [
        "Programs",
        "PROGRAM                 STATE    PID  DETAIL",
        "redis                   RUNNING  10   pid 10, uptime 0:01:00",
        "poli:worker-default_01  BACKOFF  -    Exited too quickly",
        "Broker  redis://:**@127.0.0.1:6400/0  reachable",
        "",
        "Queues",
        "QUEUE    WAITING  CONSUMERS  WORKER GROUPS",
        "default  3        none       default",
        "spare    0        none       none declared",
        "Schedules",
        "SCHEDULE   TASK         QUEUE   NEXT RUN",
        "nightly    system.ping  system  2030-01-01T02:00:00+00:00",
        "heartbeat  system.ping  system  disabled",
        "problem: poli:worker-default_01 is BACKOFF",
    ]


def test_status_shows_the_beat_holding_the_lock_and_what_it_runs() -> None:
    beat = BeatReport(
        disk_hash="b" * 64,
        holder={"host": "web-2", "pid": 4242, "since": "2030-01-01T00:00:00+00:00"},
        status={"config_hash": "a" * 64, "generation": 3, "loaded_at": "2030-01-01T01:00:00+00:00"},
        last={"nightly": {"due": "2030-01-01T01:00:00+00:00", "sent": "2030-01-01T01:00:00.002"}},
    )
    row = ScheduleRow("nightly", "system.ping", "system", datetime(2030, 1, 2, 1, tzinfo=UTC))
    report = StatusReport(True, (), "redis://h/0", None, (), (row,), beat)
    row = replace(row, last_run=beat.last_run("nightly"), expired=2)
    queue = QueueRow("probes", 0, ("w1@web-2",), ("default",), routed=False)
    report = replace(report, schedules=(row,), queues=(queue,))
    con, out = plain()
    print_status(report, con)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert "probes (from code only)  0        w1@web-2   default" in lines
    assert lines[-6:] == [
        "SCHEDULE  TASK         QUEUE   LAST RUN                   EXPIRED  NEXT RUN",
        "nightly   system.ping  system  2030-01-01T01:00:00+00:00  2        2030-01-02T01:00:00+00:00",
        "beat: active on web-2 pid 4242 since 2030-01-01T00:00:00+00:00",
        "beat: runs config aaaaaaaaaaaa, generation 3, loaded 2030-01-01T01:00:00+00:00",
        "beat: the files on disk differ (bbbbbbbbbbbb): invalid, or not yet read",
        "problem: beat runs other files than those on disk (polictl logs beat)",
    ]


def test_ping_report_lists_failed_queues() -> None:
    con, out = plain()
    print_ping(
        [
            ProbeResult("default", ("default-1@host",), 0.012),
            ProbeResult("alerts", (), None, "no worker consumes this queue"),
        ],
        con,
    )
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    assert lines[-3:] == [
        "default  ok 12 ms                       default-1@host",
        "alerts   no worker consumes this queue  -",
        "failed: alerts",
    ]


def test_broker_password_is_masked(platform_with_password) -> None:
    from polictl.broker.session import celery_app, masked_url

    assert masked_url(celery_app(platform_with_password)) == "redis://:***@127.0.0.1:1/0"
