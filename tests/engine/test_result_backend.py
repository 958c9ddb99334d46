"""poli's Redis result backend (engine.runtime.delivery.results) on a real redis-server: a
result costs one round trip (Celery's costs a GET more), and a stored SUCCESS is still never
overwritten (a redelivered run whose first run's ack was lost cannot turn it into a failure)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import redis
from celery import states
from celery_process import built_app

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.fixture
def app(tmp_path, redis_url):
    config = shutil.copytree(CONFIGS / "minimal", tmp_path / "config")
    queues = (config / "queues.yaml").read_text()
    (config / "queues.yaml").write_text(
        queues.replace("result_backend: broker", f"result_backend: {redis_url}")
    )
    with built_app(config, "amqp://guest:guest@127.0.0.1:5672//") as app:
        yield app


def commands(client: redis.Redis) -> dict[str, int]:
    return {
        name.removeprefix("cmdstat_"): row["calls"]
        for name, row in client.info("commandstats").items()
    }


def test_a_result_is_stored_in_one_round_trip(app, redis_url):
    client = redis.Redis.from_url(redis_url)
    app.backend.store_result(uuid.uuid4().hex, 0, states.SUCCESS)  # loads the script once
    before = commands(client)
    for number in range(20):
        app.backend.store_result(uuid.uuid4().hex, number, states.SUCCESS)
    after = commands(client)
    spent = {
        name: after[name] - before.get(name, 0)
        for name in after
        if after[name] != before.get(name, 0)
    }
    spent.pop("info", None)
    assert spent == {"evalsha": 20, "get": 20, "setex": 20, "publish": 20}  # inside the script


def test_a_stored_success_is_never_overwritten(app, redis_url):
    task_id = uuid.uuid4().hex
    app.backend.store_result(task_id, {"value": 1}, states.SUCCESS)
    app.backend.store_result(task_id, RuntimeError("a redelivered run failed"), states.FAILURE)
    app.backend.store_result(task_id, None, states.STARTED)
    meta = app.backend.get_task_meta(task_id, cache=False)
    assert (meta["status"], meta["result"]) == (states.SUCCESS, {"value": 1})
    key = app.backend.get_key_for_task(task_id)
    assert 0 < redis.Redis.from_url(redis_url).ttl(key) <= app.backend.expires


def test_a_failure_then_a_success_is_a_success(app):
    task_id = uuid.uuid4().hex
    app.backend.store_result(task_id, RuntimeError("first try"), states.FAILURE)
    app.backend.store_result(task_id, 2, states.SUCCESS)
    assert app.backend.get_task_meta(task_id, cache=False)["status"] == states.SUCCESS
