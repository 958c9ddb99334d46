"""Replays that cannot send twice, and letters of a bounded size, on the session's Redis.
Before issue 22 a replay sent, then deleted, with a new id each time: two at once sent
two messages."""

from __future__ import annotations

import json
import subprocess
import sys

import redis
from celery_process import celery_env
from reliability_process import CONFIG, reliability_app  # noqa: F401 (the `app` fixture)

from engine.runtime.delivery.deadletter import MAX_LETTER_BYTES, DeadLetter
from engine.runtime.delivery.reliability import dead_letters


def letter(**changes) -> DeadLetter:
    fields = {
        "id": "5e1f0c1e-dead-4a11-9c0d-000000000001",
        "task": "default.fail",
        "queue": "default",
        "args": ["journal"],
        "kwargs": {"reason": "no such user"},
        "exception": "ValueError: no such user",
        "traceback": "Traceback (most recent call last): ...",
        "reason": "not retried",
        "attempts": 1,
        "failed_at": 1.0,
    }
    return DeadLetter(**{**fields, **changes})


def test_two_replays_at_once_send_once(app, redis_url):
    stored = letter()
    dead_letters(app).add(stored)
    command = [sys.executable, "-m", "polictl", "-C", str(CONFIG), "dead", "replay", stored.id]
    runs = [
        subprocess.Popen(
            command, env=celery_env(CONFIG, redis_url), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert sorted(run.returncode for run in runs) in ([0, 1], [0, 0]), outputs
    queued = [json.loads(m) for m in redis.Redis.from_url(redis_url).lrange("default", 0, -1)]
    assert [m["headers"]["id"] for m in queued] == [stored.replay_id], outputs
    assert queued[0]["headers"]["poli_replay_of"] == stored.id
    assert dead_letters(app).list() == []
    again = subprocess.run(
        command, env=celery_env(CONFIG, redis_url), capture_output=True, text=True
    )
    assert again.returncode == 1 and "no dead letter" in again.stderr  # repeated: nothing sent
    assert redis.Redis.from_url(redis_url).llen("default") == 1


def test_a_letter_is_capped_and_its_arguments_marked(app):
    big = letter(args=["x" * (2 * MAX_LETTER_BYTES)], traceback="line\n" * 50_000)
    dead_letters(app).add(big)
    (kept,) = dead_letters(app).list()
    assert len(kept.to_json().encode()) <= MAX_LETTER_BYTES
    assert kept.args == [f"<truncated: the letter was {len(big.to_json())} bytes, above 65536>"]
    assert kept.traceback.endswith("line\n") and kept.extra["truncated"] > MAX_LETTER_BYTES
    assert kept.kwargs == {} and kept.exception == big.exception


def test_two_replays_overlapping_in_their_send_send_once(app, redis_url, monkeypatch):
    """The same story with the window held open: each replay's send takes 0.3 s, and the
    second starts while the first sends (two polictl runs in two threads)."""
    import threading
    import time

    from celery import Celery

    from polictl.dead import dead
    from polictl.main import PoliContext

    stored = letter()
    dead_letters(app).add(stored)
    monkeypatch.setenv("POLI_BROKER_URL", redis_url)
    original = Celery.send_task

    def slow_send(self, *args, **kwargs):
        time.sleep(0.3)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Celery, "send_task", slow_send)

    def replay() -> None:
        try:
            dead.main(["replay", stored.id], obj=PoliContext(CONFIG, None), standalone_mode=False)
        except Exception:  # the one that finds no letter: a user error
            pass

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(30)
    assert redis.Redis.from_url(redis_url).llen("default") == 1
