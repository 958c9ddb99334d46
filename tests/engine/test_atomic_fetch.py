"""The atomic fetch (engine/runtime/delivery/fetch.py): a message leaves its queue and is
recorded as unacked in one script, so no kill can fall between the two (issue 22).

Shown with real processes on the session's real Redis: a kombu consumer on poli's transport
is killed -9 the moment its fetch's reply is read, before kombu or Celery sees the message
(the point where kombu's BRPOP-then-record lost it), and the sweep gives the message back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from celery_process import built_app, celery_worker
from kombu import Connection, Queue
from kombu.utils.json import loads
from redis_server import RedisServer

from engine.runtime.delivery.fetch import FETCH_POLL_MAX
from engine.runtime.delivery.transport import Transport

ROOT = Path(__file__).resolve().parent.parent.parent
MINIMAL = ROOT / "tests" / "configs" / "minimal"
# Dies at the first delivery: after the fetch's reply is read, before anything else runs.
CONSUMER = """
import os, signal, sys
from kombu import Connection, Queue
from engine.runtime.delivery.transport import Transport
connection = Connection(sys.argv[1], transport=Transport)
connection.transport._deliver = lambda message, queue: os.kill(os.getpid(), signal.SIGKILL)
with connection.Consumer(Queue("jobs"), callbacks=[lambda body, message: None]):
    print("consuming", flush=True)
    while True:
        try:
            connection.drain_events(timeout=1)
        except TimeoutError:
            pass
"""


def connection(url: str, **options: float) -> Connection:
    return Connection(url, transport=Transport, transport_options=options)


def publish(url: str, *bodies: object) -> None:
    with connection(url) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body, routing_key="jobs", declare=[Queue("jobs")])


def receive(conn: Connection, queue: Queue, no_ack: bool = False, within: float = 15) -> list:
    got: list = []
    with conn.Consumer(queue, callbacks=[lambda body, m: got.append((body, m))], no_ack=no_ack):
        drain(conn, got, within)
    return got


def drain(conn: Connection, got: list, within: float) -> None:
    """kombu's blocking consumer loop (no event loop) until something arrives, bounded."""
    deadline = time.monotonic() + within
    while not got and time.monotonic() < deadline:
        try:
            conn.drain_events(timeout=0.5)
        except TimeoutError:
            pass


def test_a_consumer_killed_right_after_its_fetch_loses_nothing(redis_url):
    publish(redis_url, {"n": 1})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, redis_url], cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    try:
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    client = redis.Redis.from_url(redis_url)
    assert client.llen("jobs") == 0  # fetched: off its queue, and recorded
    assert client.zcard("unacked_index") == 1 and client.hlen("unacked") == 1
    with connection(redis_url, visibility_timeout=1) as conn:  # the sweep gives it back
        got = receive(conn, Queue("jobs"))
        assert [body for body, _ in got] == [{"n": 1}]
        assert got[0][1].delivery_info["redelivered"] is True
        got[0][1].ack()
    assert client.hlen("unacked") == 0 and client.zcard("unacked_index") == 0


def test_the_record_holds_the_queued_bytes_and_goes_with_the_ack(redis_url):
    publish(redis_url, {"n": 2, "text": "caf\u00e9 / \u2603"})
    client = redis.Redis.from_url(redis_url)
    queued = client.lindex("jobs", 0)
    with connection(redis_url) as conn:
        [(body, message)] = receive(conn, Queue("jobs"))
        [(tag, record)] = client.hgetall("unacked").items()
        assert tag.decode() == message.delivery_tag
        assert record == b"[" + queued + b', "", "jobs"]'  # the payload, not re-encoded
        assert loads(record)[0] == loads(queued) and body["text"] == "caf\u00e9 / \u2603"
        message.ack()
    assert client.hlen("unacked") == 0 and client.zcard("unacked_index") == 0


def test_a_consumer_without_acks_leaves_no_record(redis_url):
    publish(redis_url, {"n": 3})
    with connection(redis_url) as conn:
        assert [body for body, _ in receive(conn, Queue("jobs"), no_ack=True)] == [{"n": 3}]
    client = redis.Redis.from_url(redis_url)
    assert client.hlen("unacked") == 0 and client.zcard("unacked_index") == 0


def test_an_idle_consumer_polls_gently_and_wakes_for_the_first_message(redis_url):
    client = redis.Redis.from_url(redis_url)
    publish(redis_url, {"n": 0})
    with connection(redis_url) as conn:
        receive(conn, Queue("jobs"))[0][1].ack()  # the script is loaded, the backoff reset
        before = client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
        idle = 2.0
        assert receive(conn, Queue("jobs"), within=idle) == []
        fetches = client.info("commandstats")["cmdstat_evalsha"]["calls"] - before
        assert fetches <= idle / FETCH_POLL_MAX + 20  # the backoff's first steps, then its cap
        publish(redis_url, {"n": 4})
        sent = time.monotonic()
        [(body, message)] = receive(conn, Queue("jobs"))
        assert body == {"n": 4} and time.monotonic() - sent < FETCH_POLL_MAX + 0.5
        message.ack()


def test_a_redis_out_of_memory_keeps_the_message_in_its_queue(tmp_path, caplog):
    """The record is written before the pop: a refused write takes nothing (kombu's BRPOP
    took the message, then its record was refused, and the message was gone)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        url = f"{server.url}/0"
        publish(url, {"n": 5})
        client = redis.Redis.from_url(url)
        got: list = []
        with (
            connection(url) as conn,
            conn.Consumer(Queue("jobs"), callbacks=[lambda body, m: got.append((body, m))]),
        ):
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", 1)  # every write that may grow is refused
            drain(conn, got, within=2)
            assert got == [] and client.llen("jobs") == 1 and client.hlen("unacked") == 0
            assert caplog.text.count("Redis refused to hand out a message") == 1
            client.config_set("maxmemory", 0)
            drain(conn, got, within=15)
            [(body, message)] = got
            assert body == {"n": 5} and client.hlen("unacked") == 1
            message.ack()
    finally:
        server.stop()


def test_an_idle_worker_asks_on_its_event_loop_timer(redis_url, tmp_path):
    """A real worker (prefork, kombu's event loop) with empty queues asks about once every
    FETCH_POLL_MAX: not a busy loop, and not once a second (a wait timer set from the loop's
    tick callback bounded only the poll after next: the first task after an idle spell then
    waited up to a second)."""
    client = redis.Redis.from_url(redis_url)
    with built_app(MINIMAL, redis_url) as app:
        with celery_worker(app, MINIMAL, redis_url, ["default"], tmp_path / "w.log"):
            assert app.send_task("default.echo", args=[1]).get(timeout=30)["value"] == 1
            assert seconds_for_fetches(client, 30) >= 30 * FETCH_POLL_MAX * 0.6  # no busy loop
            assert seconds_for_fetches(client, 30) <= 30 * FETCH_POLL_MAX * 3  # not 1 a second


def seconds_for_fetches(client: redis.Redis, count: int, bound: float = 15) -> float:
    """How long the server takes to see `count` more fetches (a poll, bounded)."""

    def fetches() -> int:
        return client.info("commandstats")["cmdstat_evalsha"]["calls"]

    start, first = time.monotonic(), fetches()
    while fetches() - first < count and time.monotonic() - start < bound:
        time.sleep(0.01)
    return time.monotonic() - start
