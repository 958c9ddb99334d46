"""poli's Redis transport (engine/runtime/redis_transport.py): kombu's, minus a redis-py
client built per command. Shown on the session's real Redis: the same URLs parse the same
way, a publish builds no client (kombu's own builds one per message), and a real worker
runs and acknowledges every task through it, leaving nothing unacked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from celery_process import built_app, celery_worker
from kombu import Connection

from engine.runtime.app.build import TRANSPORTS
from engine.runtime.delivery.transport import PoliChannel

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("redis://127.0.0.1:1/3", True),
        ("rediss://:secret@127.0.0.1:1/2?ssl_cert_reqs=none", True),
        ("redis+socket:///tmp/poli-test.sock", False),  # kombu's own parses the socket URL
        ("amqp://guest:guest@127.0.0.1:1//", False),
    ],
)
def test_plain_redis_urls_take_the_transport_and_parse_as_kombu_does(url, ours):
    with built_app(MINIMAL, url) as app:
        kind = url.split("://")[0]
        assert app.conf.broker_transport == (TRANSPORTS[kind] if ours else None)
        connection = app.connection_for_write()
    stock = Connection(url)
    assert issubclass(getattr(connection.transport, "Channel", object), PoliChannel) is ours
    same = ("hostname", "port", "virtual_host", "password", "ssl")
    assert {k: getattr(connection, k) for k in same} == {k: getattr(stock, k) for k in same}


class CountClients:
    """Counts redis.Redis objects built while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built = 0
        original = redis.Redis.__init__

        def counting(client, *args, **kwargs):
            self.built += 1
            original(client, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "__init__", counting)


def test_publishing_builds_no_client_per_message(redis_url, monkeypatch):
    with built_app(MINIMAL, redis_url) as app:
        task = app.tasks["default.echo"]
        task.apply_async(args=["warm-up"], ignore_result=True)  # connections, pools, channel
        clients = CountClients(monkeypatch)
        for i in range(50):
            task.apply_async(args=[i], ignore_result=True)
        assert clients.built == 0
    assert redis.Redis.from_url(redis_url).llen("default") == 51


def test_kombu_own_transport_builds_one_per_message(redis_url, monkeypatch):
    """The control: the cost the transport removes is real in this kombu."""
    with Connection(redis_url) as connection:
        producer = connection.Producer()
        producer.publish({"n": 0}, routing_key="control")
        clients = CountClients(monkeypatch)
        for i in range(50):
            producer.publish({"n": i}, routing_key="control")
    assert clients.built >= 50


def test_a_real_worker_runs_and_acknowledges_every_task(redis_url, tmp_path):
    with built_app(MINIMAL, redis_url) as app:
        with celery_worker(app, MINIMAL, redis_url, ["default"], tmp_path / "w.log"):
            results = [app.send_task("default.echo", args=[i]) for i in range(40)]
            assert [r.get(timeout=30)["value"] for r in results] == list(range(40))
            del results  # before the app closes: each unsubscribes from its result channel
            client = redis.Redis.from_url(redis_url)
            deadline = time.monotonic() + 10  # the ack follows the result by a moment
            while client.hlen("unacked") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.hlen("unacked") == 0
            assert client.zcard("unacked_index") == 0
