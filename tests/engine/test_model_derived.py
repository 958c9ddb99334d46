"""The values the model derives, as every consumer reads them: what a broker URL is, the
embedded broker's layout and command line, the visibility timeout and its sweep and refresh,
stop timeouts, memory shares, what each host runs. Built from small YAML configs as users
write them (engine.config.load), or from URLs and paths directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load
from engine.model import Broker, Platform
from engine.model.broker import (
    MAX_SOCKET_PATH,
    broker_kind,
    deployed_redis_dir,
    deployed_socket_path,
    is_redis,
    longest_state_dir,
    loopback_url,
    sentinel_addresses,
    server_args,
    socket_fits,
    socket_url,
    state_store,
)
from engine.model.reliability import (
    MIN_VISIBILITY_TIMEOUT,
    REFRESH_RECONNECT_BOUND,
    Reliability,
    refresh_interval,
)

QUEUES = """broker:
  url: redis://broker.internal:6379/0
  result_backend: broker
{broker_extra}queues:
  default: {{description: General}}
  slow: {{description: Slow work}}
  spare: {{description: Nothing routed here}}
routes:
  - {{match: "slow.*", queue: slow}}
workers:
  default: {{queues: [default], concurrency: 3, memory_limit: 1M}}
  slow: {{queues: [slow, spare], concurrency: 1, max_memory_per_child: 2000, memory_limit: 1G}}
  idle: {{queues: [spare], concurrency: 2}}
{extra}"""
TASKS = """tasks:
  plain.first: {handler: "derivedhandlers:nothing", time_limit: 5m}
  plain.untimed: {handler: "derivedhandlers:nothing"}
  slow.export: {handler: "derivedhandlers:nothing", time_limit: 20m}
  slow.report: {handler: "derivedhandlers:nothing", time_limit: 1h}
"""
SCHEDULES = """timezone: UTC
schedules:
  on: {task: plain.first, every: 30s}
  off: {task: plain.first, every: 1m, enabled: false}
  own-queue: {task: plain.first, every: 1m, queue: spare}
"""


def platform_of(tmp_path: Path, extra: str = "", broker_extra: str = "") -> Platform:
    (tmp_path / "queues.yaml").write_text(QUEUES.format(extra=extra, broker_extra=broker_extra))
    (tmp_path / "tasks.yaml").write_text(TASKS)
    (tmp_path / "schedules.yaml").write_text(SCHEDULES)
    (tmp_path / "derivedhandlers.py").write_text("def nothing() -> None:\n    return None\n")
    result = load(tmp_path, env={})
    assert result.platform is not None, result.diagnostics
    return result.platform


@pytest.mark.parametrize(
    ("url", "kind", "redis"),
    [
        ("embedded", "embedded", True),
        ("redis://h:6379/0", "redis", True),
        ("REDIS://h:6379/0", "redis", True),
        ("rediss://h:6380/0", "rediss", True),
        ("redis+socket:///run/redis.sock", "redis-socket", True),
        ("unix:///run/redis.sock", "redis-socket", True),
        ("sentinel://a:26379;sentinel://b:26379", "sentinel", True),
        ("amqp://guest@h//", "amqp", False),
        ("amqps://guest@h//", "amqp", False),
        ("pyamqp://guest@h//", "amqp", False),
        (" redis://h/0 ; amqp://h//", "redis", True),  # a failover list: its first member's
        ("amqp://a//;redis://b/0", "amqp", False),
        ("sqs://", "other", False),
        ("Embedded", "other", False),
        ("redis", "redis", True),  # no "://": the whole text is read as the scheme
        ("redis://:pa://ss@h:6379/0", "redis", True),  # "://" again in a raw password
    ],
)
def test_the_kind_of_a_broker_url(url, kind, redis):
    assert broker_kind(url) == kind
    assert is_redis(url) is redis
    broker = Broker(url, None, result_expires=1, transport_options=(), state_url=None)
    assert (broker.kind, broker.is_redis, broker.embedded) == (kind, redis, url == "embedded")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sentinel://s1:26380;sentinel://s2", (("s1", 26380), ("s2", 26379))),
        (" sentinel://:pw@s1:1 ;sentinel://s2:2 ", (("s1", 1), ("s2", 2))),
        ("sentinel://;sentinel://s2:5", (("s2", 5),)),  # a member without a host is no sentinel
        ("sentinel://s1", (("s1", 26379),)),
    ],
)
def test_sentinel_addresses(url, expected):
    assert sentinel_addresses(url) == expected


def test_a_socket_path_fits_up_to_the_kernels_limit_in_bytes():
    assert MAX_SOCKET_PATH == 107
    assert socket_fits("/" + "a" * 106)
    assert not socket_fits("/" + "a" * 107)
    assert socket_fits(Path("/" + "a" * 106))
    assert not socket_fits("/" + "é" * 54)  # 109 bytes in 55 characters


def test_the_embedded_brokers_urls_and_deployed_layout():
    assert (
        socket_url("/var/lib/poli/redis/redis.sock")
        == "redis+socket:///var/lib/poli/redis/redis.sock"
    )
    assert loopback_url(6390) == "redis://127.0.0.1:6390/0"
    assert loopback_url(6390, "s3cret") == "redis://:s3cret@127.0.0.1:6390/0"
    assert deployed_redis_dir("/var/lib/poli/") == "/var/lib/poli/redis"
    assert deployed_redis_dir("/var/lib/poli") == "/var/lib/poli/redis"
    assert deployed_redis_dir("/srv/X//") == "/srv/X/redis"  # only slashes are trimmed
    assert deployed_socket_path("/var/lib/poli") == "/var/lib/poli/redis/redis.sock"
    # "/redis/redis.sock" is 17 bytes: a state_dir of 90 is the longest whose socket fits
    assert longest_state_dir() == 90
    assert socket_fits(deployed_socket_path("/" + "s" * 89))
    assert not socket_fits(deployed_socket_path("/" + "s" * 90))


def test_the_embedded_brokers_redis_server_arguments():
    common = ["--dir", "/d/redis", "--daemonize", "no", "--appendonly", "yes"]
    common += ["--appendfsync", "everysec", "--save", ""]
    assert server_args("/d/redis", socket="/d/redis/redis.sock") == [
        *common,
        *["--port", "0", "--unixsocket", "/d/redis/redis.sock", "--unixsocketperm", "700"],
    ]
    assert server_args("/d/redis/", port=6390) == [
        "/d/redis/auth.conf",
        *["--dir", "/d/redis/", *common[2:]],
        *["--port", "6390", "--bind", "127.0.0.1"],
    ]
    assert server_args("/d/X/", port=6390)[0] == "/d/X/auth.conf"


def test_results_on_the_broker_go_where_the_broker_is_reached_if_it_is_a_redis():
    def broker(url: str) -> Broker:
        return Broker(url, "broker", result_expires=1, transport_options=(), state_url=None)

    assert broker("embedded").result_backend_for("unix:///d/r.sock") == "unix:///d/r.sock"
    assert broker("rediss://h/0").result_backend_for("rediss://h/0") == "rediss://h/0"
    assert broker("pyamqp://h//").result_backend_for("pyamqp://h//") is None


@pytest.mark.parametrize(
    ("kind", "backend", "state_url", "expected"),
    [
        ("redis", "amqp://r//", "redis://s/0", "broker"),
        ("embedded", None, None, "broker"),
        ("sentinel", None, None, "broker"),
        ("amqp", "redis://r/1", "redis://s/0", "redis://r/1"),
        ("amqp", "db+postgresql://p/db", "redis://s/0", "redis://s/0"),
        ("amqp", None, "redis://s/0", "redis://s/0"),
        ("amqp", "rpc://", None, None),
        ("amqp", None, "", None),
    ],
)
def test_where_poli_keeps_its_own_state(kind, backend, state_url, expected):
    assert state_store(kind, backend, state_url) == expected


@pytest.mark.parametrize(
    ("within", "visibility", "sweep", "refresh"),
    [
        (120, 90, 30, 22.5),
        (8, 6, 2, 1.5),
        (9, 6, 3, 1.5),  # 27 // 4: whole seconds, rounded down
        (4, 3, 1, 0.75),  # never under 3 s, never a sweep under 1 s
        (3, 3, 1, 0.75),
    ],
)
def test_visibility_timeout_sweep_and_refresh_derive_from_redeliver_within(
    within, visibility, sweep, refresh
):
    policy = Reliability(within, 3, 60, 3600, 100)
    assert (policy.visibility_timeout, policy.sweep_interval) == (visibility, sweep)
    assert refresh_interval(policy.visibility_timeout) == refresh
    assert policy.transport_options == {
        "visibility_timeout": visibility,
        "unacked_restore_interval": sweep,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": sweep,
    }


def test_the_refreshers_bounds():
    # a refresh lands at most 2.5 s after Redis is back: two timeouts of 1 s and a retry
    assert REFRESH_RECONNECT_BOUND == 2.5
    assert MIN_VISIBILITY_TIMEOUT == 5.0


def test_a_declared_visibility_timeout_wins_over_the_derived_one(tmp_path):
    platform = platform_of(
        tmp_path, broker_extra="  transport_options: {visibility_timeout: 1m, master_name: m}\n"
    )
    assert platform.visibility_timeout == 60.0
    assert platform.refresh_interval == 15.0
    assert platform.broker_transport_options == {
        "visibility_timeout": 60,
        "unacked_restore_interval": 30,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 30,
        "master_name": "m",
    }
    assert platform.broker.master_name == "m"
    assert platform.broker.key_prefix == ""


def test_the_key_prefix_is_the_declared_global_keyprefix(tmp_path):
    platform = platform_of(tmp_path, broker_extra="  transport_options: {global_keyprefix: p1}\n")
    assert (platform.broker.key_prefix, platform.broker.master_name) == ("p1", None)
    assert platform.visibility_timeout == 90.0


def test_stop_timeouts_cover_the_longest_task_routed_to_each_group(tmp_path):
    platform = platform_of(tmp_path)
    groups = {g.name: g for g in platform.workers}
    assert platform.task("slow.export").queue == "slow"
    assert [t.name for t in platform.tasks_for_group(groups["slow"])] == [
        "slow.export",
        "slow.report",
    ]
    assert platform.longest_task(groups["default"]).name == "plain.first"
    assert platform.stop_timeout(groups["default"]) == 300 + 30
    assert platform.stop_timeout(groups["slow"]) == 3600 + 30
    assert platform.stop_timeout_note(groups["slow"]) == (
        "longest time_limit routed here: slow.report 3600s + 30s margin"
    )
    assert platform.stop_timeout(groups["idle"]) == 30
    assert platform.longest_stop_timeout == 3630
    assert [w.name for w in platform.consumers_of("spare")] == ["slow", "idle"]
    assert platform.reached_by("spare") == ("schedule own-queue",)
    assert platform.reached_by("default") == (
        "plain.first",
        "plain.untimed",
        "schedule on",
        "schedule off",
    )
    assert [s.name for s in platform.enabled_schedules] == ["on", "own-queue"]


def test_a_group_of_untimed_tasks_only_waits_the_margin(tmp_path):
    platform = platform_of(tmp_path)
    untimed = [t for t in platform.tasks if t.time_limit is None]
    assert [t.name for t in untimed] == ["plain.untimed"]
    group = platform.workers[0]
    only_untimed = type(platform)(**{**platform.__dict__, "tasks": tuple(untimed)})
    assert only_untimed.longest_task(group) is None
    assert only_untimed.stop_timeout(group) == 30
    no_groups = type(platform)(**{**platform.__dict__, "workers": ()})
    assert no_groups.longest_stop_timeout == 30


def test_each_pool_process_gets_an_equal_share_of_the_groups_memory(tmp_path):
    groups = {g.name: g for g in platform_of(tmp_path).workers}
    # 1M = 1024 KiB over 3 pool processes and the main one: 256 KiB each
    assert groups["default"].child_memory_limit == 256
    assert groups["slow"].child_memory_limit == 2000  # max_memory_per_child wins
    assert groups["idle"].child_memory_limit is None  # no limit, no share


def test_flower_lists_queued_tasks_only_where_sent_events_is_declared(tmp_path):
    on = platform_of(tmp_path, "deploy: {flower: {enabled: true, sent_events: true}}\n")
    assert on.task_sent_events is True
    off = platform_of(tmp_path, "deploy: {flower: {enabled: false, sent_events: true}}\n")
    assert off.task_sent_events is False
    assert platform_of(tmp_path, "deploy: {flower: {enabled: true}}\n").task_sent_events is False


def test_a_host_runs_only_its_groups_and_flower_and_the_console_where_declared(tmp_path):
    hosts = (
        "hosts:\n  a: {workers: {default: 2, idle: 1}}\n"
        "  b: {workers: {slow: 1}, beat: true, flower: true}\n"
        "deploy: {flower: {enabled: true}, console: {enabled: true}}\n"
    )
    platform = platform_of(tmp_path, hosts)
    a, b = platform.on_host("a"), platform.on_host("b")
    assert [(w.name, w.replicas) for w in a.workers] == [("default", 2), ("idle", 1)]
    assert [h.name for h in a.hosts] == ["a"]
    assert (a.deploy.flower.enabled, a.deploy.console.enabled) == (False, False)
    assert (b.deploy.flower.enabled, b.deploy.console.enabled) == (True, True)
    assert (a.runs_beat, b.runs_beat, platform.runs_beat) == (False, True, True)
    assert platform.hosts_consuming("spare") == ("a", "b")
    assert platform.hosts_consuming("slow") == ("b",)
    assert platform.hosts_consuming("nothing") == ()
    assert platform.host("b").flower is True
    off = platform_of(
        tmp_path, hosts.replace("{enabled: true}, console", "{enabled: false}, console")
    )
    assert off.on_host("b").deploy.flower.enabled is False
    assert off.on_host("b").deploy.console.enabled is True
