"""The dead-letter store on the session's real Redis, in-process: order, filters, lookup by
prefix, and retention by age and by count with their exact boundaries (the README's "older
than `keep` or beyond the newest `max_entries` are dropped on each write")."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
import redis

from engine.runtime.delivery.deadletter import (
    INDEX,
    RECORDS,
    TASKS,
    AmbiguousId,
    DeadLetter,
    DeadLetterStore,
)

NOW = 1_800_000_000.0  # a fixed "now" (epoch seconds): every age below is relative to it


def letter(id: str, at: float, task: str = "alerts.process", **fields) -> DeadLetter:
    values = {
        "queue": "alerts",
        "args": [1],
        "kwargs": {"k": "v"},
        "exception": "ValueError: bad",
        "traceback": "Traceback ...",
        "reason": "not retried",
        "attempts": 1,
        **fields,
    }
    return DeadLetter(id=id, task=task, failed_at=at, **values)


@pytest.fixture
def client(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def ids(letters: list[DeadLetter]) -> list[str]:
    return [item.id for item in letters]


def test_letters_list_oldest_first_by_task_and_since(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    store.add(letter("b", NOW - 10, task="reports.export"))
    store.add(letter("a", NOW - 20))
    store.add(letter("c", NOW - 5))
    assert ids(store.list()) == ["a", "b", "c"]
    assert ids(store.list(task="alerts.process")) == ["a", "c"]
    assert ids(store.list(task="nope")) == []
    assert ids(store.list(since=NOW - 10)) == ["b", "c"]  # at `since` counts
    assert ids(store.list(task="reports.export", since=NOW - 9)) == []
    assert store.counts() == {"alerts.process": 2, "reports.export": 1}


def test_a_letter_round_trips_whole(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    kept = letter("x1", NOW, replay_of="x0", extra={"hostname": "w1"}, attempts=3)
    store.add(kept)
    assert store.get("x1") == kept and store.list() == [kept]
    assert DeadLetter.from_json(kept.to_json()) == kept


def test_get_by_id_or_a_unique_prefix(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    for name in ("abc-1", "abd-2", "abd-3"):
        store.add(letter(name, NOW))
    assert store.get("abc-1").id == "abc-1"
    assert store.get("abc").id == "abc-1"
    assert store.get("zzz") is None
    with pytest.raises(AmbiguousId):
        store.get("abd")
    assert store.get("abd-3").id == "abd-3"  # a whole id wins over being a prefix


def test_each_write_drops_letters_older_than_keep(client) -> None:
    store = DeadLetterStore(client, keep_seconds=100, max_entries=10)
    store.add(letter("old", NOW - 101))
    store.add(letter("edge", NOW - 100))  # exactly `keep` old: kept
    store.add(letter("new", NOW))
    assert ids(store.list()) == ["edge", "new"]
    assert client.hkeys(RECORDS) and set(client.hkeys(TASKS)) == {b"edge", b"new"}
    assert client.zcard(INDEX) == 2


def test_each_write_keeps_only_the_newest_max_entries(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=3)
    for n in range(5):
        store.add(letter(f"l{n}", NOW - 50 + n))
    assert ids(store.list()) == ["l2", "l3", "l4"]
    assert (client.hlen(RECORDS), client.hlen(TASKS), client.zcard(INDEX)) == (3, 3, 3)


def test_trim_counts_age_and_surplus_together(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=100)
    for n, age in enumerate((5000, 4000, 30, 20, 10)):
        store.add(letter(f"l{n}", NOW - 6000 + n))  # all fresh when written ...
        client.zadd(INDEX, {f"l{n}": NOW - age})  # ... then aged as the test needs
    store.max_entries = 2
    assert store.trim(NOW) == 3  # two too old, then one beyond the newest two
    assert ids(store.list()) == ["l3", "l4"]
    assert store.trim(NOW) == 0


def test_purge_everything_or_only_older_letters(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    for name, age in (("a", 300), ("b", 200), ("c", 100)):
        store.add(letter(name, NOW - age))
    assert store.purge(older_than=200, now=NOW) == 1  # exactly 200 s old stays
    assert ids(store.list()) == ["b", "c"]
    assert store.purge() == 2 and store.list() == [] and store.counts() == {}
    assert store.remove([]) == 0


def test_an_empty_store_lists_nothing_for_any_filter(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    assert store.list(task="alerts.process") == [] and store.list(since=NOW) == []
    assert store.get("a") is None and store.counts() == {} and store.trim() == 0


def test_a_whole_id_that_prefixes_another_is_that_letter(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    store.add(letter("abc", NOW))
    store.add(letter("abc-1", NOW))
    assert store.get("abc").id == "abc"
    with pytest.raises(AmbiguousId) as ambiguous:
        store.get("ab")
    assert str(ambiguous.value) == "ab"


def test_retention_and_purge_count_from_the_clock_when_no_time_is_given(client) -> None:
    store = DeadLetterStore(client, keep_seconds=3600, max_entries=10)
    now = time.time()
    store.add(letter("fresh", now - 10))
    store.add(letter("older", now - 600))
    client.zadd(INDEX, {"stale": now - 7200})  # written long ago by another process
    client.hset(RECORDS, "stale", letter("stale", now - 7200).to_json())
    assert store.trim() == 1 and ids(store.list()) == ["older", "fresh"]
    assert store.purge(older_than=300) == 1 and ids(store.list()) == ["fresh"]


def test_a_client_that_decodes_replies_reads_the_same_letters(redis_url: str) -> None:
    text_client = redis.Redis.from_url(redis_url, decode_responses=True)
    store = DeadLetterStore(text_client, keep_seconds=3600, max_entries=1)
    store.add(letter("a", NOW - 1))
    store.add(letter("b", NOW, task="reports.export"))
    assert ids(store.list(task="reports.export")) == ["b"]
    assert store.counts() == {"reports.export": 1} and store.get("b").task == "reports.export"
    text_client.close()


def test_a_letter_is_stored_as_sorted_json_with_reprs_for_what_json_lacks(client) -> None:
    odd = letter("x", NOW, kwargs={"when": datetime(2027, 5, 3, tzinfo=UTC)})
    assert odd.to_json() == (
        '{"args": [1], "attempts": 1, "exception": "ValueError: bad", "extra": {}, '
        '"failed_at": 1800000000.0, "id": "x", "kwargs": {"when": '
        '"datetime.datetime(2027, 5, 3, 0, 0, tzinfo=datetime.timezone.utc)"}, '
        '"queue": "alerts", "reason": "not retried", "replay_of": null, '
        '"task": "alerts.process", "traceback": "Traceback ..."}'
    )


# Issue 22's additions, in-process: what mutation testing showed the process tests leave open.


def test_a_letter_above_the_cap_keeps_a_marker_and_the_end_of_its_traceback() -> None:
    big = letter("big", NOW, args=["x" * 600], traceback="T" * 50 + "END", exception="E" * 40)
    assert big.capped(max_bytes=10_000) is big  # under the cap: the very letter
    size = len(big.to_json().encode())
    small = big.capped(max_bytes=size - 1)
    assert small.args == [f"<truncated: the letter was {size} bytes, above {size - 1}>"]
    assert (small.kwargs, small.extra) == ({}, {"truncated": size})
    assert (small.id, small.task, small.queue, small.reason) == (
        "big",
        "alerts.process",
        "alerts",
        "not retried",
    )
    exactly = big.capped(max_bytes=size)
    assert exactly is big  # the cap itself still fits


def test_a_capped_letter_keeps_the_last_16_kib_of_its_traceback() -> None:
    long = letter("long", NOW, traceback="a" * 70_000 + "LAST", exception="b" * 20_000)
    small = long.capped()
    assert small.traceback == ("a" * 70_000 + "LAST")[-16 * 1024 :]
    assert small.exception == "b" * 16 * 1024


def test_store_writes_the_capped_letter(client) -> None:
    store = DeadLetterStore(client, 3600, 10)
    store.add(letter("huge", time.time(), args=["y" * 70_000]))
    (kept,) = store.list()
    assert kept.args[0].startswith("<truncated: the letter was ")


def test_a_replay_claims_a_stored_letter_once_until_released(client) -> None:
    store = DeadLetterStore(client, 3600, 10, prefix="t:")
    assert not store.claim("missing")  # no such letter: nothing to claim
    store.add(letter("one", time.time()))
    assert store.claim("one", seconds=30)
    assert not store.claim("one")  # a second replay at the same time
    assert 0 < client.ttl("t:poli:dead:replaying:one") <= 30
    assert client.get("t:poli:dead:replaying:one") == b"1"
    store.release("one")
    assert client.exists("t:poli:dead:replaying:one") == 0
    assert store.claim("one")
    # docs/reliability.md: "the claim expiring after 60 s" (a crashed replay frees it)
    assert 50 < client.ttl("t:poli:dead:replaying:one") <= 60


def test_replays_of_one_letter_share_one_task_id() -> None:
    one = letter("abc", NOW)
    assert one.replay_id == letter("abc", NOW + 5).replay_id
    assert one.replay_id != letter("abd", NOW).replay_id
    assert one.replay_id == str(
        uuid.uuid5(uuid.UUID("6f1c2a52-5a0e-4d6c-9b0e-2f7d3c1a9e41"), "abc")
    )


def test_every_key_of_the_store_takes_the_prefix(client) -> None:
    store = DeadLetterStore(client, 3600, 10, prefix="tenant:")
    store.add(letter("p1", time.time(), task="reports.export"))
    assert sorted(k.decode() for k in client.keys("*")) == [
        "tenant:" + INDEX,
        "tenant:" + RECORDS,
        "tenant:" + TASKS,
    ]
    assert [x.id for x in store.list(task="reports.export")] == ["p1"]
    assert store.list(task="alerts.process") == []
    assert store.purge(older_than=3600) == 0
    assert store.purge() == 1
    assert client.keys("*") == []


@pytest.fixture
def settings(redis_server):
    """The session server's own settings, put back after the test (our server, no one else's)."""
    client = redis.Redis.from_url(redis_server.url)
    saved = {k: client.config_get(k)[k] for k in ("maxmemory-policy", "save", "appendonly")}
    yield client
    for key, value in saved.items():
        client.config_set(key, value)
    client.close()


def test_storage_warnings_name_eviction_and_no_persistence(settings) -> None:
    from engine.runtime.delivery.deadletter import storage_warnings

    settings.config_set("maxmemory-policy", "noeviction")
    settings.config_set("save", "")
    settings.config_set("appendonly", "yes")
    assert storage_warnings(settings) == []
    settings.config_set("appendonly", "no")
    settings.config_set("save", "3600 1")
    assert storage_warnings(settings) == []
    settings.config_set("maxmemory-policy", "volatile-lru")
    assert storage_warnings(settings) == []
    settings.config_set("maxmemory-policy", "allkeys-lru")
    settings.config_set("save", "")
    assert storage_warnings(settings) == [
        "the Redis that keeps dead letters evicts any key when full (maxmemory-policy "
        "allkeys-lru): letters, delivery counts and unacked messages can be lost; use "
        "noeviction or volatile-*",
        "the Redis that keeps dead letters keeps nothing on disk (no save, appendonly no):"
        " a restart loses every letter and every queued task",
    ]


def test_storage_warnings_are_quiet_when_redis_will_not_say() -> None:
    from engine.runtime.delivery.deadletter import storage_warnings

    class NoConfig:
        def config_get(self, name: str) -> dict:
            raise redis.ResponseError("unknown command 'CONFIG'")

    assert storage_warnings(NoConfig()) == []


def test_newest_reads_one_page_newest_first_with_the_total(client) -> None:
    """The console's page of a large store: the newest `limit`, of a task and an age."""
    store = DeadLetterStore(client, 10**9, 100)
    for i in range(6):
        task = "reports.export" if i % 2 else "alerts.process"
        store.add(letter(f"L{i}", NOW + i, task=task))
    page, total = store.newest(2)
    assert ([x.id for x in page], total) == (["L5", "L4"], 6)
    page, total = store.newest(2, task="reports.export")
    assert ([x.id for x in page], total) == (["L5", "L3"], 3)
    page, total = store.newest(10, task="alerts.process", since=NOW + 2)
    assert ([x.id for x in page], total) == (["L4", "L2"], 2)
    page, total = store.newest(10, since=NOW + 5)
    assert ([x.id for x in page], total) == (["L5"], 1)
    assert store.newest(3, task="nothing.here") == ([], 0)
    assert store.newest(0) == ([], 6)
    assert DeadLetterStore(client, 1, 1, prefix="empty:").newest(5) == ([], 0)
    # the console's task filter on an empty store, or on an age nothing reaches
    assert DeadLetterStore(client, 1, 1, prefix="empty:").newest(5, task="a.b") == ([], 0)
    assert store.newest(5, task="alerts.process", since=NOW + 99) == ([], 0)
