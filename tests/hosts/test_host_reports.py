"""`polictl status` and `ping` with hosts: per queue, the hosts consuming it and those missing."""

from __future__ import annotations

import dataclasses
import io

import pytest
from rich.console import Console

from polictl.broker.probe import ProbeResult
from polictl.stack.hosts import missing, node_host, same_host
from polictl.stack.status import QueueRow, StatusReport
from polictl.stack.tables import print_ping, print_status


def plain() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=140, no_color=True, highlight=False), out


def lines(out: io.StringIO) -> list[str]:
    return [line.rstrip() for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("node", "host"),
    [
        ("edge-1@host-b", "host-b"),
        ("shared-2@app1.example.com", "app1.example.com"),
        ("solo", "solo"),
    ],
)
def test_node_host(node: str, host: str) -> None:
    assert node_host(node) == host


def test_a_machine_may_report_its_short_or_full_name() -> None:
    assert same_host("app1", "app1.example.com") and same_host("APP1.example.com", "app1")
    assert not same_host("app1.a.example", "app1.b.example")
    assert missing(["app1.example.com", "app2"], ["app1"]) == ("app2",)


def test_status_shows_the_hosts_of_each_queue_and_the_missing_ones() -> None:
    queues = (
        QueueRow("edge", 5, (), ("edge",), (), ("host-b",)),
        QueueRow("shared", 0, ("shared-1@host-c",), ("shared",), ("host-c",), ("host-b", "host-c")),
    )
    report = StatusReport(False, (), "redis://:**@10.0.0.5:6379/0", None, queues, ())
    con, out = plain()
    print_status(report, con)
    printed = lines(out)
    start = printed.index("Queues")
    assert printed[start : start + 4] == [
        "Queues",
        "QUEUE   WAITING  CONSUMERS        WORKER GROUPS  HOSTS",
        "edge    5        none             edge           none (missing: host-b)",
        "shared  0        shared-1@host-c  shared         host-c (missing: host-b)",
    ]
    assert report.problems == [
        "the stack is not running (polictl up)",
        "queue edge has no consumer on host host-b",
        "queue shared has no consumer on host host-b",
    ]
    local = dataclasses.replace(report, supervisord=True)  # `polictl up`: all groups here
    assert local.problems == []


def test_ping_by_host_says_who_consumes_and_who_answered() -> None:
    con, out = plain()
    results = [
        ProbeResult("edge", ("edge-1@host-b",), 0.012, answered_by="host-b"),
        ProbeResult("shared", ("shared-1@host-b", "shared-1@host-c"), 0.02, answered_by="host-c"),
    ]
    print_ping(results, con, by_host=True)
    assert lines(out)[1:] == [
        "QUEUE   RESULT                HOSTS           CONSUMERS",
        "edge    ok 12 ms from host-b  host-b          edge-1@host-b",
        "shared  ok 20 ms from host-c  host-b, host-c  shared-1@host-b, shared-1@host-c",
    ]
