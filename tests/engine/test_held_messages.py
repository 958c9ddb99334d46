"""Live workers keep what they hold: two real workers on a real Redis, `redeliver_within: 8s`
(visibility timeout 6 s, a sweep every 2 s), and no task started twice while its worker lives.

Each test failed on the code before issue 22: a rate-limited message waits in the token
bucket outside the sets the refresher read; a warm shutdown stopped the refresher before the
pool drained in about half of start-ups; scores came from each host's clock.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import redis
from reliability_process import journal, parent_of, reliability_app, wait_for, worker  # noqa: F401

TESTS = Path(__file__).resolve().parent.parent
# a sitecustomize that sets the worker's wall clock (time.time, which kombu scored by) off
CLOCK_OFFSET = {"PYTHONPATH": f"{TESTS / 'clock_offset'}{os.pathsep}{TESTS.parent}"}


def settled(redis_url: str, timeout: float = 30) -> None:
    """Wait until nothing is queued or held unacknowledged (a late second delivery shows)."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while client.llen("default") or client.hlen("unacked"):
        assert time.monotonic() < deadline, (client.llen("default"), client.hlen("unacked"))
        time.sleep(0.1)
    client.close()


def runs(book: Path, event: str) -> Counter:
    return Counter(row[1] for row in journal(book) if row[0] == event)


def test_rate_limited_tasks_on_two_live_workers_run_once(app, redis_url, tmp_path):
    """6/m: each worker starts one every 10 s; the others wait in its token bucket, held."""
    book = tmp_path / "journal"
    with ExitStack() as stack:
        for i in (1, 2):
            stack.enter_context(worker(app, redis_url, tmp_path / f"w{i}.log"))
        ids = [app.send_task("default.limited", args=[str(book), 0.1]).id for _ in range(6)]
        wait_for(book, "done", 6, 90)
        settled(redis_url)
    assert runs(book, "start") == dict.fromkeys(ids, 1), journal(book)


def test_sigterm_mid_task_with_a_second_worker_alive_runs_it_once(app, redis_url, tmp_path):
    """What systemd, supervisor and Kubernetes send on every deploy, over three start-ups
    of the worker holding the task (the order of its steps used to differ by start-up)."""
    book = tmp_path / "journal"
    with ExitStack() as stack:
        alive = [
            stack.enter_context(worker(app, redis_url, tmp_path / f"w{i}.log")) for i in (1, 2)
        ]
        for attempt in range(3):
            result = app.send_task("default.work", args=[str(book), 12])
            started = wait_for(book, "start", attempt + 1, 20)[-1]
            holder = next(w for w in alive if w.pid == parent_of(started[2]))
            holder.send_signal(signal.SIGTERM)  # the main process: a warm shutdown
            assert result.get(timeout=40) == "done"
            assert holder.wait(30) == 0  # it waited for its task, then left
            alive.remove(holder)
            log = tmp_path / f"w{attempt + 3}.log"
            alive.append(stack.enter_context(worker(app, redis_url, log)))
        settled(redis_url)
    assert set(runs(book, "start").values()) == {1}, journal(book)
    assert set(runs(book, "done").values()) == {1}, journal(book)


def test_a_worker_whose_clock_is_7s_behind_keeps_its_task(app, redis_url, tmp_path):
    """The holder's clock is 7 s behind: by its own clock it would score what it holds 7 s
    old, beyond the 6 s visibility timeout, for the other worker to sweep at once."""
    book = tmp_path / "journal"
    behind = {**CLOCK_OFFSET, "POLI_TEST_CLOCK_OFFSET": "-7"}
    with ExitStack() as stack:
        holder = stack.enter_context(worker(app, redis_url, tmp_path / "w1.log", **behind))
        result = app.send_task("default.work", args=[str(book), 10])
        ((_, _, child, _),) = wait_for(book, "start", 1, 20)
        assert parent_of(child) == holder.pid
        stack.enter_context(worker(app, redis_url, tmp_path / "w2.log"))  # sweeps every 2 s
        assert result.get(timeout=30) == "done"
        settled(redis_url)
    assert runs(book, "start") == {result.id: 1}, journal(book)
