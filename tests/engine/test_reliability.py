"""At-least-once delivery, proven with real workers killed with -9 on a real Redis.

Each run of a task leaves `start ID PID` and `done ID PID` lines in a journal file, so
completions are counted by task id. The config declares `redeliver_within: 8s`.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from contextlib import ExitStack

from reliability_process import (
    CONFIG,
    RestartableRedis,
    journal,
    letters,
    parent_of,
    reliability_app,  # noqa: F401 (the `app` fixture)
    wait_for,
    wait_for_letter,
    worker,
)

from engine.config import load
from engine.runtime.app.build import build_app

SECRET_REASON = "cannot reach redis://:S3cretPW@db.example:6379/0"
BOUND = 8  # redeliver_within in tests/configs/reliability/queues.yaml


def test_a_killed_pool_process_gives_its_task_back_at_once(app, redis_url, tmp_path):
    log, book = tmp_path / "worker.log", tmp_path / "journal"
    with worker(app, redis_url, log, POLI_REDELIVER_WITHIN="60s"):  # sweeps would take 45s+
        result = app.send_task("default.work", args=[str(book), 2])
        ((_, _, child, _),) = wait_for(book, "start", 1, 20)
        os.kill(child, signal.SIGKILL)
        killed = time.monotonic()
        starts = wait_for(book, "start", 2, 20)
        back_after = time.monotonic() - killed
        assert result.get(timeout=20) == "done"
    done = Counter(row[1] for row in journal(book) if row[0] == "done")
    assert done == {result.id: 1}, journal(book)
    assert starts[1][2] != child  # a new pool process ran it
    assert letters(app) == {}  # redelivered, so not a dead letter
    assert back_after < 20  # given back by the worker, not swept back by a visibility timeout


def test_a_killed_worker_gives_its_task_to_another_within_the_bound(app, redis_url, tmp_path):
    book = tmp_path / "journal"
    with ExitStack() as stack:
        workers = [
            stack.enter_context(worker(app, redis_url, tmp_path / f"w{i}.log")) for i in (1, 2)
        ]
        result = app.send_task("default.work", args=[str(book), 3])
        ((_, _, child, _),) = wait_for(book, "start", 1, 20)
        holder = next(w for w in workers if w.pid == parent_of(child))
        os.kill(holder.pid, signal.SIGKILL)  # the main process; its pool child follows
        killed = time.monotonic()
        starts = wait_for(book, "start", 2, BOUND + 10)
        back_after = time.monotonic() - killed
        assert result.get(timeout=20) == "done"
    done = Counter(row[1] for row in journal(book) if row[0] == "done")
    assert done == {result.id: 1}, journal(book)
    assert parent_of_row(starts[1]) != holder.pid
    assert back_after <= BOUND + 1, back_after


def parent_of_row(row: tuple) -> int | None:
    try:
        return parent_of(row[2])
    except OSError:  # the run finished and its process is gone: not the killed worker's
        return None


def test_a_long_task_on_a_live_worker_is_never_handed_to_another(app, redis_url, tmp_path):
    book = tmp_path / "journal"
    with ExitStack() as stack:
        for i in (1, 2):
            stack.enter_context(worker(app, redis_url, tmp_path / f"w{i}.log"))
        result = app.send_task("default.work", args=[str(book), 2 * BOUND])  # twice the bound
        assert result.get(timeout=4 * BOUND) == "done"
    starts = [row for row in journal(book) if row[0] == "start"]
    assert len(starts) == 1, journal(book)


def test_a_poison_message_is_dead_lettered_after_max_deliveries(app, redis_url, tmp_path):
    book = tmp_path / "journal"
    with worker(app, redis_url, tmp_path / "w.log"):
        result = app.send_task("default.crash", args=[str(book)])
        letter = wait_for_letter(app, result.id, timeout=60)
        assert result.get(timeout=10, propagate=False).__class__.__name__ == "PoisonMessage"
    assert len([row for row in journal(book) if row[0] == "start"]) == 2  # max_deliveries: 2
    assert (letter.task, letter.queue, letter.reason, letter.attempts) == (
        "default.crash",
        "default",
        "poison message",
        2,
    )
    assert letter.args == [str(book)]
    assert letter.exception == (
        "PoisonMessage: its worker was lost on each of 2 deliveries; not run again"
    )


def test_an_acks_late_false_task_whose_worker_died_is_a_dead_letter(app, redis_url, tmp_path):
    """README: acknowledged before it ran, it is never delivered again, so its one lost run
    is a failure for good: a dead letter with reason `worker lost`, and a failed result."""
    book = tmp_path / "journal"
    with worker(app, redis_url, tmp_path / "w.log"):
        result = app.send_task("default.crash_early", args=[str(book)])
        letter = wait_for_letter(app, result.id, timeout=30)
        assert type(result.get(timeout=10, propagate=False)).__name__ == "WorkerLostError"
    assert [row[0] for row in journal(book)] == ["start"]  # one delivery, never redelivered
    assert (letter.task, letter.queue, letter.reason, letter.attempts) == (
        "default.crash_early",
        "default",
        "worker lost",
        1,
    )
    assert letter.args == [str(book)]


def test_failures_for_good_are_dead_letters(app, redis_url, tmp_path):
    book = tmp_path / "journal"
    with worker(app, redis_url, tmp_path / "w.log"):
        failed = app.send_task("default.fail", args=[str(book)], kwargs={"reason": "no such user"})
        leaky = app.send_task("default.fail", args=[str(book)], kwargs={"reason": SECRET_REASON})
        keyed = app.send_task("default.refuse", args=[str(book)], kwargs={"api_token": "S3cretPW"})
        flaky = app.send_task("default.flaky", args=[str(book)])
        slow = app.send_task("default.stubborn", args=[str(book)])
        for result in (failed, flaky, slow, leaky, keyed):
            wait_for_letter(app, result.id)
    found = letters(app)
    assert set(found) == {failed.id, flaky.id, slow.id, leaky.id, keyed.id}
    assert (found[failed.id].reason, found[failed.id].attempts) == ("not retried", 1)
    assert found[failed.id].kwargs == {"reason": "no such user"}
    assert found[failed.id].exception == "ValueError: no such user"
    assert "raise ValueError(reason)" in found[failed.id].traceback
    assert (found[flaky.id].reason, found[flaky.id].attempts) == ("retries exhausted", 3)
    assert found[slow.id].reason == "time limit"
    assert found[leaky.id].kwargs == {"reason": SECRET_REASON}  # kept as sent, for a replay
    assert found[keyed.id].kwargs == {"api_token": "***"}  # a secret-named key: never stored
    log = (tmp_path / "w.log").read_text()
    assert "S3cretPW" not in log and SECRET_REASON.replace("S3cretPW", "***") in log


def test_a_task_the_worker_does_not_know_is_a_dead_letter(app, redis_url, tmp_path):
    """Before issue 22 Celery rejected it with a log line only: the message was gone."""
    with worker(app, redis_url, tmp_path / "w.log"):
        sent = app.send_task("default.added_later", args=[1], kwargs={"password": "S3cret"})
        letter = wait_for_letter(app, sent.id)
    assert (letter.task, letter.queue, letter.reason) == (
        "default.added_later",
        "default",
        "unregistered task",
    )
    assert (letter.args, letter.kwargs) == ([1], {"password": "***"})


def test_a_worker_warns_when_its_redis_can_lose_letters(app, redis_url, tmp_path):
    """The session's Redis keeps nothing on disk; here it also evicts any key when full."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        log = tmp_path / "w.log"
        with worker(app, redis_url, log):
            deadline = time.monotonic() + 20
            while "keeps nothing on disk" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
    finally:
        client.config_set("maxmemory-policy", "noeviction")
    text = log.read_text()
    assert "evicts any key when full (maxmemory-policy allkeys-lru)" in text


def test_a_broker_restart_loses_no_task_and_reports_no_false_failure(tmp_path):
    """Redis (AOF) stops for 6 s while a task runs and five wait: each completes once, and the
    one whose result could not be stored during the outage is SUCCESS, not FAILURE."""
    from celery.result import AsyncResult

    server = RestartableRedis(tmp_path)
    server.start()
    try:
        app = build_app(load(CONFIG, env={"POLI_BROKER_URL": server.url}).platform)
        book = tmp_path / "journal"
        with worker(app, server.url, tmp_path / "w.log"):
            ids = [app.send_task("default.work", args=[str(book), 1.5]).id for _ in range(6)]
            wait_for(book, "start", 1, 20)
            time.sleep(0.5)
            server.stop()
            time.sleep(6)
            server.start()
            wait_for(book, "done", 6, 90)
            states = {i: AsyncResult(i, app=app).state for i in ids}
        assert set(states.values()) == {"SUCCESS"}, states
        assert Counter(row[1] for row in journal(book) if row[0] == "done") == dict.fromkeys(ids, 1)
        assert letters(app) == {}
    finally:
        server.stop()
