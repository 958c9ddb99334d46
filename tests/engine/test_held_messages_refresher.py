"""The held-messages refresher in the test process (mutants reach it here, not in a worker
subprocess): a real redis-server, the poli app's own kombu connection and channels, the
refresher's thread as the worker runs it. Each test checks what a user relies on: the
messages a live worker holds keep a fresh score by the Redis server's clock, the ones it
acknowledged are not brought back, and a warm shutdown keeps refreshing until nothing is held.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from celery_process import built_app
from kombu import Queue
from redis_server import RedisServer
from waiting import wait_for

from engine.config import load
from engine.model.reliability import REFRESH_RECONNECT_BOUND, REFRESH_TIMEOUT
from engine.runtime.delivery.held_messages import HeldMessages, Refresher, held_tags

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reliability"
OLD = 1000.0  # a score far in the past: what a refresh must replace with the server's now


def platform_on(url: str, **env: str):
    result = load(CONFIG, env={"POLI_BROKER_URL": url, **env})
    assert result.platform is not None, result.diagnostics
    return result.platform


def server_now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1e6


def scores(client: redis.Redis, key: str = "unacked_index") -> dict[str, float]:
    return {tag.decode(): score for tag, score in client.zrange(key, 0, -1, withscores=True)}


@contextmanager
def consumer_holding(app, count: int) -> Iterator[tuple[SimpleNamespace, list]]:
    """A worker-like parent whose consumer's real kombu connection holds `count` messages of
    the `default` queue unacknowledged (fetched, as the consumer fetches them)."""
    connection = app.connection_for_read()
    try:
        channel = connection.default_channel
        queue = Queue("default", routing_key="default")(channel)
        queue.declare()
        with app.producer_or_acquire() as producer:
            for n in range(count):
                producer.publish({"n": n}, routing_key="default", serializer="json")
        messages = []
        for _ in range(count):
            message = queue.get(no_ack=False)
            assert message is not None
            messages.append(message)
        yield SimpleNamespace(app=app, consumer=SimpleNamespace(connection=connection)), messages
    finally:
        connection.release()


class HeldRequest:
    """What Celery's worker state keeps of a request (weakly): its message's delivery tag."""

    def __init__(self, tag: str) -> None:
        self.message = SimpleNamespace(delivery_tag=tag)


def age_all(client: redis.Redis) -> None:
    """Score every unacked record as delivered long ago (a refresh must bring it to now)."""
    for tag in scores(client):
        client.zadd("unacked_index", {tag: OLD}, xx=True)


def test_held_tags_are_the_channels_unacked_deliveries(redis_url):
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 3) as (parent, messages):
        tags = sorted(m.delivery_tag for m in messages)
        assert held_tags(parent) == tags
        messages[1].ack()  # acknowledged: no longer held, whether or not flushed yet
        assert held_tags(parent) == sorted(set(tags) - {messages[1].delivery_tag})
        messages[0].reject(requeue=True)
        messages[2].ack()
        assert held_tags(parent) == []


def test_held_tags_count_every_channel_of_the_consumers_connection(redis_url):
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 1) as (parent, messages):
        other = parent.consumer.connection.channel()  # e.g. a second consumer's channel
        queue = Queue("system", routing_key="system")(other)
        queue.declare()
        with app.producer_or_acquire() as producer:
            producer.publish({"n": "other"}, routing_key="system", serializer="json")
        second = queue.get(no_ack=False)
        assert second is not None
        assert held_tags(parent) == sorted([messages[0].delivery_tag, second.delivery_tag])
        second.ack()
        other.close()


def test_held_tags_of_a_worker_without_a_consumer_connection_are_none():
    assert held_tags(SimpleNamespace(consumer=None)) == []
    assert held_tags(SimpleNamespace(consumer=SimpleNamespace(connection=None))) == []
    assert held_tags(SimpleNamespace()) == []


def test_refresh_rescores_only_the_held_tags_by_the_servers_clock(redis_url):
    client = redis.Redis.from_url(redis_url)
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 3) as (parent, messages):
        age_all(client)
        held = sorted(m.delivery_tag for m in messages)[:2]
        refresher = Refresher(app.platform, app.conf.broker_transport_options)
        before = server_now(client)
        assert refresher.refresh(held) is True
        after = server_now(client)
        now = scores(client)
        assert all(before <= now[tag] <= after for tag in held), (now, before, after)
        assert [tag for tag, score in now.items() if score == OLD] == sorted(set(now) - set(held))
        # an acknowledged message's record is gone: a refresh must not bring it back
        client.zrem("unacked_index", held[0])
        assert refresher.refresh(held) is True
        assert held[0] not in scores(client)
        refresher.close()
        assert refresher.unacked is None


def test_refresh_uses_the_declared_key_prefix_and_key_names(redis_url):
    client = redis.Redis.from_url(redis_url)
    options = {"global_keyprefix": "p:", "unacked_index_key": "idx", "unacked_key": "rec"}
    refresher = Refresher(platform_on(redis_url), options)
    client.zadd("p:idx", {"t1": OLD, "t2": OLD})
    client.zadd("unacked_index", {"t1": OLD})
    assert refresher.refresh(["t1"]) is True
    assert scores(client, "p:idx")["t1"] > OLD
    assert scores(client, "p:idx")["t2"] == OLD
    assert scores(client) == {"t1": OLD}
    refresher.close()


def test_refresh_uses_kombus_key_names_when_none_are_declared(redis_url):
    client = redis.Redis.from_url(redis_url)
    refresher = Refresher(platform_on(redis_url), {"global_keyprefix": None})
    client.zadd("unacked_index", {"t1": OLD})
    assert refresher.refresh(["t1"]) is True
    assert scores(client)["t1"] > OLD
    refresher.close()


def test_an_away_redis_is_retried_and_reported_once_then_once_back(tmp_path, caplog):
    server = RedisServer(tmp_path / "redis")  # its port is chosen; it starts later
    refresher = Refresher(platform_on(server.url + "/0"), {})
    caplog.set_level(logging.INFO, logger="poli.reliability")
    try:
        assert refresher.refresh(["t1"]) is False
        assert refresher.refresh(["t1"]) is False
        assert refresher.unacked is None
        messages = [r.getMessage() for r in caplog.records]
        assert messages == ["could not refresh held messages"]
        assert caplog.records[0].exc_info[0] is redis.ConnectionError  # the log says why
        server.start()
        caplog.clear()
        client = redis.Redis.from_url(server.url + "/0")
        client.zadd("unacked_index", {"t1": OLD})
        assert refresher.refresh(["t1"]) is True
        assert scores(client)["t1"] > OLD
        assert [r.getMessage() for r in caplog.records] == [
            # the storage check runs once, on the first connection made
            "the Redis that keeps dead letters keeps nothing on disk (no save, appendonly no):"
            " a restart loses every letter and every queued task",
            "held messages refreshed again",
        ]
        caplog.clear()
        assert refresher.refresh(["t1"]) is True
        assert caplog.records == []
        server.stop()
        assert refresher.refresh(["t1"]) is False
        assert [r.getMessage() for r in caplog.records] == ["could not refresh held messages"]
        server.start()
        caplog.clear()
        assert refresher.refresh([]) is True  # reconnects: no storage warning the second time
        assert [r.getMessage() for r in caplog.records] == ["held messages refreshed again"]
        client.close()
    finally:
        refresher.close()
        server.stop()


def test_a_redis_that_never_answers_does_not_stall_the_refresher():
    """A half-open connection (the peer accepts, then says nothing): the attempt gives up
    after REFRESH_TIMEOUT instead of blocking the refresher for good."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        refresher = Refresher(platform_on(f"redis://127.0.0.1:{port}/0"), {})
        outcome: list[bool] = []
        attempt = threading.Thread(target=lambda: outcome.append(refresher.refresh(["t1"])))
        started = time.monotonic()
        attempt.start()
        attempt.join(timeout=REFRESH_TIMEOUT + 4)
        assert outcome == [False], "the refresher still waits on a Redis that never answers"
        assert time.monotonic() - started >= REFRESH_TIMEOUT * 0.9
        refresher.close()


def next_refresh(client: redis.Redis, within: float) -> float:
    """When every aged record had a fresh score again (monotonic), polled every 20 ms."""
    assert wait_for(lambda: min(scores(client).values()) > OLD, within, 0.02)
    return time.monotonic()


def test_the_step_refreshes_each_interval_and_ends_when_the_drained_worker_holds_nothing(
    redis_url,
):
    client = redis.Redis.from_url(redis_url)
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 2) as (parent, messages):
        interval = app.platform.refresh_interval
        assert interval == 1.5  # redeliver_within 8s: visibility timeout 6 s, a quarter of it
        age_all(client)
        step = HeldMessages(parent)
        started = time.monotonic()
        step.start(parent)
        assert step.thread is not None and step.thread.name == "poli-held-messages"
        assert step.thread.daemon
        first = next_refresh(client, interval + 4)
        age_all(client)
        second = next_refresh(client, interval + 4)
        # not before the first interval, then each interval (not continuously)
        assert first - started >= interval * 0.9
        assert second - first >= interval * 0.7
        step.stop(parent)  # a warm shutdown: the worker still holds both messages
        age_all(client)
        woken = next_refresh(client, interval + 4)  # stop wakes it: a refresh at once
        age_all(client)
        after = next_refresh(client, interval + 4)
        assert after - woken >= interval * 0.7  # and on each interval while it drains
        assert step.thread.is_alive()
        for message in messages:
            message.ack()
        assert wait_for(lambda: not step.thread.is_alive(), interval + 4, 0.05)


def test_a_worker_holding_nothing_keeps_its_refresher_until_it_stops(redis_url):
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 0) as (parent, _):
        step = HeldMessages(parent)
        step.start(parent)
        assert step.thread is not None
        ended = wait_for(lambda: not step.thread.is_alive(), 2 * app.platform.refresh_interval)
        assert not ended  # idle between tasks is no shutdown
        step.stop(parent)
        step.thread.join(timeout=5)
        assert not step.thread.is_alive()


def test_a_warm_shutdown_with_nothing_held_ends_the_thread_at_once(redis_url):
    # redeliver_within 2m: refresh every 22.5 s; stop must not wait for the next one
    with built_app(CONFIG, redis_url) as app, consumer_holding(app, 0) as (parent, _):
        app.platform = platform_on(redis_url, POLI_REDELIVER_WITHIN="2m")
        step = HeldMessages(parent)
        step.start(parent)
        assert step.thread is not None
        step.stop(parent)
        step.thread.join(timeout=5)
        assert not step.thread.is_alive()


def test_a_refresh_lands_within_the_reconnect_bound_once_redis_is_back(tmp_path, caplog):
    server = RedisServer(tmp_path / "redis")
    url = server.url + "/0"
    with built_app(CONFIG, url) as app:
        # redeliver_within 30s: refresh every 5.5 s, far more than a retry after a failure
        app.platform = platform_on(url, POLI_REDELIVER_WITHIN="30s")
        assert app.platform.refresh_interval == 5.5
        parent = SimpleNamespace(app=app, consumer=None)
        from celery.worker import state

        request = HeldRequest("t1")
        state.active_requests.add(request)
        step = HeldMessages(parent)
        try:
            step.start(parent)
            assert step.thread is not None
            failed = "could not refresh held messages"
            assert wait_for(lambda: failed in [r.getMessage() for r in caplog.records], 10, 0.05)
            server.start()
            client = redis.Redis.from_url(url)
            client.zadd("unacked_index", {"t1": OLD})
            back = time.monotonic()
            assert wait_for(lambda: scores(client)["t1"] > OLD, 10, 0.05)
            # the retry comes REFRESH_RETRY after a failure, not a whole interval later
            assert time.monotonic() - back < REFRESH_RECONNECT_BOUND + 1.0
            state.active_requests.discard(request)
            step.stop(parent)
            step.thread.join(timeout=5)
            assert not step.thread.is_alive()
        finally:
            state.active_requests.discard(request)
            step.stop(parent)
            server.stop()


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672//"])
def test_no_refresher_for_a_broker_that_is_not_redis(url):
    with built_app(CONFIG, url) as app:
        step = HeldMessages(SimpleNamespace(app=app))
        step.start(SimpleNamespace(app=app))
        assert step.thread is None
    step = HeldMessages(SimpleNamespace(app=SimpleNamespace()))
    step.start(SimpleNamespace(app=SimpleNamespace(conf=None)))
    assert step.thread is None
