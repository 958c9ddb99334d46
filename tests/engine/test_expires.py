"""`expires`: the message carries it, a worker that takes it too late revokes it instead of
running it, and the drop is counted per schedule (beat's runs) and per task, for
`polictl status`. A real Redis, poli's beat in-process, a real worker."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from celery_process import celery_worker

from engine.config import load
from engine.runtime.app.build import build_app
from engine.runtime.beat import scheduler as scheduler_module
from engine.runtime.beat.scheduler import PoliScheduler
from engine.runtime.beat.store import EXPIRED_TASKS
from polictl.beat_report import collect_beat
from polictl.stack.status import schedules

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
PROBE = "10 sec queue probe"
SCHEDULES = f"""timezone: UTC
schedules:
  "{PROBE}": {{task: system.echo, every: 10s, args: [probe], expires: 1s}}
"""


@pytest.fixture
def config(tmp_path: Path, redis_url: str, monkeypatch) -> Path:
    monkeypatch.setenv("POLI_BROKER_URL", redis_url)
    target = shutil.copytree(MINIMAL, tmp_path / "config")
    (target / "schedules.yaml").write_text(SCHEDULES)
    return target


def send_one_run(app, monkeypatch) -> dict:
    """poli's beat sends the probe's run due at 09:00:10 (a fixed clock decides what is due)."""
    now = [datetime(2027, 5, 3, 9, 0, 5, tzinfo=UTC)]
    monkeypatch.setattr(scheduler_module, "utcnow", lambda: now[0])
    beat = PoliScheduler(app=app, max_interval=1)
    beat.tick()
    now[0] = datetime(2027, 5, 3, 9, 0, 10, 4000, tzinfo=UTC)
    beat.tick()
    beat.close()
    client = redis.Redis.from_url(app.conf.broker_url)
    (message,) = [json.loads(m) for m in client.lrange("system", 0, -1)]
    return message


def test_a_run_that_waited_past_its_expiry_is_not_run_and_is_counted(
    config, redis_url, tmp_path, monkeypatch
) -> None:
    platform = load(config).platform
    assert platform is not None
    app = build_app(platform)
    message = send_one_run(app, monkeypatch)
    headers = message["headers"]
    assert headers["poli_schedule"] == PROBE
    assert headers["expires"] is not None  # the message carries it
    time.sleep(1.5)  # the queue is backlogged: no worker takes it in time
    client = redis.Redis.from_url(redis_url)
    result = app.AsyncResult(headers["id"])
    with celery_worker(app, config, redis_url, ["system"], tmp_path / "worker.log"):
        deadline = time.monotonic() + 20
        while not client.hget(EXPIRED_TASKS, "system.echo") and time.monotonic() < deadline:
            time.sleep(0.1)
    assert result.state == "REVOKED"  # revoked by the worker, never run
    assert "succeeded" not in (tmp_path / "worker.log").read_text()
    assert client.hget(EXPIRED_TASKS, "system.echo") == b"1"
    beat = collect_beat(platform)
    assert beat.expired == {PROBE: 1}
    assert [(row.name, row.expired) for row in schedules(platform, beat)] == [(PROBE, 1)]
    app.close()


def test_a_run_taken_in_time_runs(config, redis_url, tmp_path, monkeypatch) -> None:
    (config / "schedules.yaml").write_text(SCHEDULES.replace("expires: 1s", "expires: 1m"))
    platform = load(config).platform
    assert platform is not None
    app = build_app(platform)
    message = send_one_run(app, monkeypatch)
    result = app.AsyncResult(message["headers"]["id"])
    with celery_worker(app, config, redis_url, ["system"], tmp_path / "worker.log"):
        assert result.get(timeout=20)["value"] == "probe"
    assert collect_beat(platform).expired == {}
    app.close()


def test_a_tasks_expires_from_defaults_rides_every_send(config, redis_url) -> None:
    tasks = (config / "tasks.yaml").read_text()
    (config / "tasks.yaml").write_text(
        tasks.replace("acks_late: true}", "acks_late: true, expires: 90s}", 1)
    )
    platform = load(config).platform
    assert platform is not None
    assert platform.task("system.echo").expires == 90
    app = build_app(platform)
    sent_at = time.time()
    app.send_task("system.echo", args=["by name"])
    app.tasks["system.echo"].delay("by object")
    client = redis.Redis.from_url(redis_url)
    for raw in client.lrange("system", 0, -1):
        expires = datetime.fromisoformat(json.loads(raw)["headers"]["expires"]).timestamp()
        assert sent_at + 85 < expires < sent_at + 95
    assert client.llen("system") == 2
    app.close()
