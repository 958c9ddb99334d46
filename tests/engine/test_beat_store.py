"""What beat keeps in Redis and `polictl status`/`schedules` read back, in-process on the
session's real Redis: the holder's record, due times handled, last runs, status, and the
client for each broker URL form."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from engine.config import load
from engine.runtime.beat import store as beat_store
from engine.runtime.beat.store import DUE, LAST, LOCK, RULE, STATUS, BeatStore

DUE_AT = datetime(2027, 5, 3, 9, tzinfo=UTC)
MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"


@pytest.fixture
def client(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_the_lock_lapses_lock_ttl_after_it_was_taken_not_later(client) -> None:
    """A standby takes over within lock_ttl x 7/6 of the holder's death (docs/scheduling.md):
    the lock must not outlive lock_ttl."""
    assert BeatStore(client).acquire(100)
    assert 99_000 < client.pttl(LOCK) <= 100_000


def test_the_holder_is_named_and_its_token_stays_private(client) -> None:
    store = BeatStore(client)
    before = datetime.now(UTC).replace(microsecond=0)
    assert store.acquire(2.5)
    held = json.loads(client.get(LOCK))
    assert set(held) == {"host", "pid", "since", "token"} and len(held["token"]) == 32
    assert (held["host"], held["pid"]) == (socket.gethostname(), os.getpid())
    since = datetime.fromisoformat(held["since"])
    assert since.tzinfo == UTC and before <= since <= datetime.now(UTC)
    assert 2400 < client.pttl(LOCK) <= 2500  # milliseconds, from seconds
    assert store.renew(1.5) and 1400 < client.pttl(LOCK) <= 1500
    shown = beat_store.read(client)["holder"]
    assert shown == {"host": held["host"], "pid": held["pid"], "since": held["since"]}
    assert BeatStore(client).value == ""  # a store holds nothing until it acquires


def test_handled_due_times_come_back_as_aware_times_with_their_rule(client) -> None:
    store = BeatStore(client)
    assert store.acquire(5)
    assert store.claim("tick", DUE_AT, "every 1s") == 1
    assert store.claim("tick", DUE_AT, "every 1s") == 0  # handled already
    assert store.claim("tick", DUE_AT, "every 2s") == 1  # retimed: a new rule's run
    client.hset(DUE, "legacy", repr(DUE_AT.timestamp()))  # a due time without a rule
    handled = store.handled()
    assert handled == {"tick": (DUE_AT, "every 2s"), "legacy": (DUE_AT, "")}
    assert handled["tick"][0].tzinfo == UTC
    assert client.hget(RULE, "tick") == b"every 2s"


def test_the_last_run_sent_and_the_status_are_read_back(client) -> None:
    store = BeatStore(client)
    sent_at = datetime(2027, 5, 3, 9, 0, 0, 123456, tzinfo=UTC)
    store.sent("tick", DUE_AT, sent_at)
    store.publish({"generation": 2, "hash": "abc"})
    assert json.loads(client.get(STATUS)) == {"generation": 2, "hash": "abc"}
    assert json.loads(client.hget(LAST, "tick")) == {
        "due": "2027-05-03T09:00:00+00:00",
        "sent": "2027-05-03T09:00:00.123+00:00",
    }
    assert beat_store.read(client) == {
        "holder": None,
        "status": {"generation": 2, "hash": "abc"},
        "last": {
            "tick": {"due": "2027-05-03T09:00:00+00:00", "sent": "2027-05-03T09:00:00.123+00:00"}
        },
        "expired": {},
    }


def test_a_holder_recorded_without_a_token_still_shows(client) -> None:
    client.set(LOCK, json.dumps({"host": "h1", "pid": 7, "since": "2027-05-03T09:00:00+00:00"}))
    assert beat_store.read(client)["holder"] == {
        "host": "h1",
        "pid": 7,
        "since": "2027-05-03T09:00:00+00:00",
    }


def client_for(url: str, **options: float):
    """engine.runtime.broker.redis_client for a platform whose broker is `url`."""
    from engine.runtime.broker import redis_client

    result = load(MINIMAL, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.platform is not None, result.diagnostics
    broker = dataclasses.replace(
        result.platform.broker, url=url, transport_options=(("master_name", "mymaster"),)
    )
    return redis_client(dataclasses.replace(result.platform, broker=broker), **options)


def test_the_default_timeout_is_one_second() -> None:
    kwargs = client_for("redis://h:6379/0").connection_pool.connection_kwargs
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (1.0, 1.0)


def test_nothing_recorded_reads_as_nothing(client) -> None:
    assert beat_store.read(client) == {"holder": None, "status": None, "last": {}, "expired": {}}
    assert BeatStore(client).handled() == {}


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("redis://10.0.0.1:6380/2", {"host": "10.0.0.1", "port": 6380, "db": 2}),
        ("rediss://cache.example:6390/0", {"host": "cache.example", "port": 6390, "db": 0}),
        ("redis+socket:///run/poli/redis.sock", {"path": "/run/poli/redis.sock"}),
    ],
)
def test_a_client_for_each_redis_url_form_with_its_timeouts(url: str, where: dict) -> None:
    client = client_for(url, timeout=2.5)
    kwargs = client.connection_pool.connection_kwargs
    assert {key: kwargs.get(key) for key in where} == where
    assert kwargs["socket_timeout"] == 2.5
    if "path" not in where:  # redis-py has no connect timeout for a unix socket
        assert kwargs["socket_connect_timeout"] == 2.5
    kind = {"redis": "Connection", "rediss": "SSLConnection"}.get(url.split(":")[0])
    assert client.connection_pool.connection_class.__name__ == (
        kind or "UnixDomainSocketConnection"
    )


def test_no_client_for_a_broker_that_is_not_redis() -> None:
    assert client_for("amqp://guest@rabbit//") is None


def test_a_sentinel_broker_gets_a_client_on_its_named_master() -> None:
    client = client_for("sentinel://:pw@s1:26379/3;sentinel://s2:26380", timeout=2.5)
    pool = client.connection_pool
    assert (pool.service_name, pool.connection_kwargs["db"]) == ("mymaster", 3)
    assert pool.connection_kwargs["password"] == "pw"
    addresses = [
        (c.connection_pool.connection_kwargs["host"], c.connection_pool.connection_kwargs["port"])
        for c in pool.sentinel_manager.sentinels
    ]
    assert addresses == [("s1", 26379), ("s2", 26380)]


# Issue 22's additions, in-process: claims again after a failed send, unclaim, the prefix,
# the store a beat opens through its app, and how it names itself.


def test_a_claim_again_after_a_failed_send_and_unclaim_put_the_run_back(client) -> None:
    store = BeatStore(client, prefix="p:")
    assert store.acquire(5)
    later = DUE_AT.replace(hour=10)
    assert store.claim("tick", DUE_AT, "r") == 1
    assert store.claim("tick", DUE_AT, "r") == 0  # handled: not twice
    assert store.claim("tick", DUE_AT, "r", again=True) == 1  # its send failed: again
    assert store.claim("tick", later, "r") == 1
    assert store.claim("tick", DUE_AT, "r", again=True) == 0  # a later run is recorded
    assert store.unclaim("tick", DUE_AT, DUE_AT) == 0  # only the recorded due time goes back
    assert store.unclaim("tick", later, DUE_AT) == 1
    assert store.handled() == {"tick": (DUE_AT, "r")}
    assert store.claim("tick", DUE_AT, "other rule") == 1  # a changed rule restarts the count
    assert sorted(k.decode() for k in client.keys("*")) == ["p:" + DUE, "p:" + LOCK, "p:" + RULE]
    client.delete("p:" + LOCK)
    assert store.claim("tick", later, "r") == -1
    assert store.unclaim("tick", later, DUE_AT) == -1


def test_read_and_the_holders_name_under_a_prefix(client) -> None:
    store = BeatStore(client, prefix="p:")
    assert store.acquire(5)
    store.sent("tick", DUE_AT, DUE_AT)
    client.hincrby("p:" + beat_store.EXPIRED_RUNS, "tick", 2)
    shown = beat_store.read(client, prefix="p:")
    assert (shown["holder"]["pid"], shown["expired"]) == (os.getpid(), {"tick": 2})
    assert beat_store.read(client)["holder"] is None  # not under another prefix
    name = f"holding the lock as {socket.gethostname()} pid {os.getpid()}"
    assert beat_store.describe_holder(store) == name
    assert beat_store.describe_holder(None) == "no lock: the broker is not Redis"


def test_a_beat_opens_its_store_on_the_brokers_redis_with_the_key_prefix(redis_url) -> None:
    from engine.runtime.app.build import build_app

    result = load(MINIMAL, env={"POLI_BROKER_URL": redis_url})
    assert result.platform is not None, result.diagnostics
    options = (("global_keyprefix", "tenant:"),)
    broker = dataclasses.replace(result.platform.broker, transport_options=options)
    app = build_app(dataclasses.replace(result.platform, broker=broker))
    try:
        store = beat_store.open_store(app)
        assert store is not None and store.lock == "tenant:" + LOCK
        assert store.connection is not None  # kombu's: beat releases it on shutdown
        assert store.acquire(5)
        raw = redis.Redis.from_url(redis_url)
        assert raw.exists("tenant:" + LOCK) == 1 and raw.exists(LOCK) == 0
        raw.close()
    finally:
        app.close()


def test_with_an_amqp_broker_beat_keeps_its_lock_in_the_redis_of_pois_state(redis_url) -> None:
    from engine.runtime.app.build import build_app

    result = load(MINIMAL, env={"POLI_BROKER_URL": redis_url})
    assert result.platform is not None, result.diagnostics
    options = (("global_keyprefix", "t:"),)
    for state, expected in ((redis_url, "t:" + LOCK), (None, None)):
        broker = dataclasses.replace(
            result.platform.broker,
            url="amqp://guest:guest@127.0.0.1:1//",
            result_backend=None,
            state_url=state,
            transport_options=options,
        )
        app = build_app(dataclasses.replace(result.platform, broker=broker))
        try:
            store = beat_store.open_store(app)
            if expected is None:
                assert store is None  # no Redis for poli's state: no lock (validate says so)
                continue
            assert (store.lock, store.connection) == (expected, None)
            kwargs = store.client.connection_pool.connection_kwargs
            assert kwargs["socket_timeout"] == 5.0
            assert store.acquire(5)
            assert redis.Redis.from_url(redis_url).exists(expected) == 1
        finally:
            app.close()


def test_a_beat_whose_broker_is_down_gives_up_after_celerys_retry_count() -> None:
    """`celery: {broker_connection_max_retries: N}` bounds how long a starting beat waits for
    its broker before it fails (and its supervisor restarts it), instead of hanging."""
    import threading

    from kombu.exceptions import OperationalError

    from engine.runtime.app.build import build_app

    result = load(MINIMAL, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.platform is not None, result.diagnostics
    app = build_app(result.platform)
    app.conf.broker_connection_max_retries = 1
    outcome: list[Exception] = []

    def start() -> None:
        try:
            beat_store.open_store(app)
        except Exception as exc:  # what the thread ended with, checked below
            outcome.append(exc)

    thread = threading.Thread(target=start, daemon=True)
    try:
        thread.start()
        thread.join(30)
        assert not thread.is_alive(), "still retrying after 30 s"
        assert len(outcome) == 1 and isinstance(outcome[0], OperationalError), outcome
    finally:
        app.close()
