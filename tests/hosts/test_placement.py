"""The model of a multi-host deployment, and which broker URLs only one host can reach."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load
from engine.config.check.hosts import local_only

HOSTS = Path(__file__).resolve().parents[1] / "generators" / "configs" / "hosts"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("embedded", "the embedded broker lives inside one host's stack"),
        (
            "redis://localhost:6379/0",
            "localhost is a loopback address, so each host would reach only itself",
        ),
        (
            "redis://:pw@127.0.0.2:6379/0",
            "127.0.0.2 is a loopback address, so each host would reach only itself",
        ),
        ("redis://[::1]:6379/0", "::1 is a loopback address, so each host would reach only itself"),
        ("redis://", "localhost is a loopback address, so each host would reach only itself"),
        (
            "amqp://guest@LOCALHOST//",
            "localhost is a loopback address, so each host would reach only itself",
        ),
        (
            "redis+socket:///run/redis.sock",
            "a unix socket or a local file is reachable from its own host only",
        ),
        (
            "db+sqlite:///results.db",
            "a unix socket or a local file is reachable from its own host only",
        ),
        (
            "sentinel://10.0.0.5:26379;sentinel://localhost:26379",
            "localhost is a loopback address, so each host would reach only itself",
        ),
        ("redis://broker.internal:6379/0", None),
        ("rediss://:pw@10.0.0.5:6380/1", None),
        ("sentinel://10.0.0.5:26379;sentinel://10.0.0.6:26379", None),
    ],
)
def test_local_only_urls(url: str, why: str | None) -> None:
    assert local_only(url) == why


def test_a_host_sees_its_groups_with_its_replicas_and_beat_only_if_placed() -> None:
    platform = load(HOSTS, env={"POLI_BROKER_URL": "redis://broker.internal:6379/0"}).platform
    assert platform is not None
    assert [(h.name, h.workers, h.beat, h.flower) for h in platform.hosts] == [
        ("host-b", (("edge", 1), ("shared", 1)), False, False),
        ("host-c", (("shared", 2),), True, True),
    ]
    b, c = platform.on_host("host-b"), platform.on_host("host-c")
    assert [(w.name, w.replicas) for w in b.workers] == [("edge", 1), ("shared", 1)]
    assert [(w.name, w.replicas) for w in c.workers] == [("shared", 2)]
    assert (b.runs_beat, c.runs_beat, platform.runs_beat) == (False, True, True)
    assert (b.deploy.flower.enabled, c.deploy.flower.enabled) == (False, True)
    assert platform.hosts_consuming("edge") == ("host-b",)
    assert platform.hosts_consuming("shared") == ("host-b", "host-c")
    assert [q.min_hosts for q in platform.queues] == [1, 2]


def test_without_hosts_everything_runs_on_one_host() -> None:
    full = Path(__file__).resolve().parents[1] / "generators" / "configs" / "full"
    platform = load(full, env={"POLI_BROKER_URL": "redis://broker.internal:6379/0"}).platform
    assert platform is not None
    assert (platform.hosts, platform.runs_beat, platform.hosts_consuming("default")) == (
        (),
        True,
        (),
    )
