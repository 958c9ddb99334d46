"""poli's own keys under `broker.transport_options.global_keyprefix` (a Redis shared by
several deployments): a real worker writes its dead letters under the prefix, the store
trims them there, and `polictl dead list` reads them through the same prefix. Before issue
22 the letters were written (kombu's client prefixes HSET and ZADD) but listed and trimmed
without it (ZRANGEBYSCORE, ZCARD, HMGET are not prefixed): `dead list` showed none."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis
from celery_process import built_app, celery_env, worker_process
from reliability_process import CONFIG, wait_for

from engine.runtime.beat.store import BeatStore, read
from engine.runtime.delivery.reliability import dead_letters

PREFIX = "tenant-a:"


def prefixed_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("__pycache__"))
    queues = (config / "queues.yaml").read_text()
    queues = queues.replace(
        "  result_backend: broker\n",
        f'  result_backend: broker\n  transport_options: {{global_keyprefix: "{PREFIX}"}}\n',
    ).replace("max_entries: 50", "max_entries: 2")
    (config / "queues.yaml").write_text(queues)
    return config


def test_letters_under_a_key_prefix_are_listed_and_trimmed(redis_url, tmp_path):
    config, book = prefixed_config(tmp_path), tmp_path / "journal"
    with built_app(config, redis_url) as app:
        args = ("--prefetch-multiplier", "1")
        with worker_process(app, config, redis_url, ["default"], tmp_path / "w.log", *args):
            ids = []
            for n in range(3):  # one after the other: the first is the oldest, trimmed
                ids.append(app.send_task("default.fail", args=[str(book)]).id)
                wait_for(book, "start", n + 1, 20)
            deadline = time.monotonic() + 20
            while {letter.id for letter in dead_letters(app).list()} != set(ids[1:]):
                assert time.monotonic() < deadline, dead_letters(app).list()
                time.sleep(0.1)
    client = redis.Redis.from_url(redis_url)
    keys = sorted(k.decode() for k in client.keys("*poli:*"))
    assert keys == [f"{PREFIX}poli:dead:{name}" for name in ("index", "records", "tasks")]
    listed = subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(config), "dead", "list", "--format", "json"],
        env=celery_env(config, redis_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [letter["id"] for letter in json.loads(listed.stdout)] == ids[1:]


def test_beat_keeps_its_lock_and_due_times_under_the_prefix(redis_url):
    client = redis.Redis.from_url(redis_url)
    store = BeatStore(client, prefix=PREFIX)
    assert store.acquire(10)
    assert store.claim("nightly", datetime_at(0), "rule") == 1
    assert sorted(k.decode() for k in client.keys("*")) == [
        f"{PREFIX}poli:beat:due",
        f"{PREFIX}poli:beat:lock",
        f"{PREFIX}poli:beat:rule",
    ]
    assert read(client, PREFIX)["holder"]["pid"] > 0
    assert read(client)["holder"] is None  # without the prefix: another deployment's


def datetime_at(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)
