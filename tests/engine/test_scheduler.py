"""poli's beat scheduler in-process, on the session's real Redis, with a fixed clock:
who sends, what a takeover resumes from, what a long outage sends, what an edit resets."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from engine.config import load
from engine.runtime.app.build import build_app
from engine.runtime.beat import scheduler as scheduler_module
from engine.runtime.beat.pause import PAUSE, pause, resume
from engine.runtime.beat.scheduler import PoliScheduler
from engine.runtime.beat.store import LOCK

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
DAILY = "  daily: {{task: system.echo, cron: '{cron}', args: [daily], catchup: {catchup}}}\n"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(datetime(2027, 5, 3, 8, 59, 59, tzinfo=UTC))  # a Monday
    monkeypatch.setattr(scheduler_module, "utcnow", clock)
    return clock


@pytest.fixture
def config_dir(tmp_path, redis_url, monkeypatch) -> Path:
    monkeypatch.setenv("POLI_BROKER_URL", redis_url)
    target = shutil.copytree(MINIMAL, tmp_path / "config")
    write_daily(target, "0 9 * * *", "once")
    return target


def write_daily(config_dir: Path, cron: str, catchup: str) -> None:
    text = "timezone: UTC\nschedules:\n" + DAILY.format(cron=cron, catchup=catchup)
    (config_dir / "schedules.yaml").write_text(text)


def beat(config_dir: Path) -> PoliScheduler:
    platform = load(config_dir).platform
    assert platform is not None
    return PoliScheduler(app=build_app(platform), max_interval=1)


def sent(redis_url: str) -> list[str]:
    client = redis.Redis.from_url(redis_url)
    messages = [json.loads(m) for m in reversed(client.lrange("system", 0, -1))]
    return [m["headers"]["poli_due"] for m in messages]


def test_only_the_lock_holder_sends(config_dir, redis_url, clock):
    first, second = beat(config_dir), beat(config_dir)
    first.tick(), second.tick()
    assert (first.active, second.active) == (True, False)
    clock.now = datetime(2027, 5, 3, 9, 0, 0, 4000, tzinfo=UTC)
    first.tick(), second.tick()
    assert sent(redis_url) == ["2027-05-03T09:00:00+00:00"]


def test_a_takeover_resumes_after_the_last_run_sent(config_dir, redis_url, clock):
    first, second = beat(config_dir), beat(config_dir)
    first.tick(), second.tick()
    clock.now = datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC)
    first.tick()
    redis.Redis.from_url(redis_url).delete(LOCK)  # the holder died; its lock expired
    second._lock_at = 0  # its next poll
    second.tick()
    assert second.active
    first._lock_at = float("inf")  # a holder that does not know yet it lost the lock
    clock.now = datetime(2027, 5, 4, 9, 0, 0, 4000, tzinfo=UTC)
    first.tick(), second.tick()
    assert sent(redis_url) == ["2027-05-03T09:00:00+00:00", "2027-05-04T09:00:00+00:00"]
    assert not first.active  # its send was refused: the lock is someone else's


@pytest.mark.parametrize(
    ("catchup", "expected"),
    [
        ("once", ["2027-05-05T09:00:00+00:00"]),  # two runs missed: the latest, once
        ("skip", []),
        ("4h", ["2027-05-05T09:00:00+00:00"]),  # 3 h late: within the deadline
        ("2h", []),
    ],
)
def test_runs_missed_while_every_beat_was_down(config_dir, redis_url, clock, catchup, expected):
    write_daily(config_dir, "0 9 * * *", catchup)
    first = beat(config_dir)
    clock.now = datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC)
    first.tick()
    first.close()  # all beats down from Monday 09:00:01 ...
    clock.now = datetime(2027, 5, 5, 12, 0, tzinfo=UTC)  # ... to Wednesday noon
    again = beat(config_dir)
    again.tick()
    assert sent(redis_url) == expected
    assert again.next["daily"] == datetime(2027, 5, 6, 9, tzinfo=UTC)


def test_a_retimed_schedule_counts_from_the_edit(config_dir, redis_url, clock):
    running = beat(config_dir)
    clock.now = datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC)
    running.tick()
    assert sent(redis_url) == []  # it started after 09:00: nothing was due since
    clock.now = datetime(2027, 5, 3, 12, 0, tzinfo=UTC)
    write_daily(config_dir, "0 8,10 * * *", "once")  # 10:00 today is before the edit
    running._check_at = 0
    running.tick()
    assert (running.generation, sent(redis_url)) == (2, [])  # not a missed run
    assert running.next["daily"] == datetime(2027, 5, 4, 8, tzinfo=UTC)
    clock.now += timedelta(days=1)
    running.tick()
    assert sent(redis_url) == ["2027-05-04T10:00:00+00:00"]


def test_a_paused_schedule_is_skipped_until_resumed(config_dir, redis_url, clock):
    running = beat(config_dir)
    running.tick()
    client = redis.Redis.from_url(redis_url)
    record = pause(client, "daily", 3600, "ops", now=clock.now)
    assert record.describe() == (
        "paused by ops at 2027-05-03T08:59:59+00:00 until 2027-05-03T09:59:59+00:00"
    )
    assert 3590 < client.ttl(PAUSE + "daily") <= 3600  # it ends by itself
    clock.now = datetime(2027, 5, 3, 9, 0, 0, 4000, tzinfo=UTC)
    running.tick()
    assert sent(redis_url) == []  # skipped, not sent later
    assert running.next["daily"] == datetime(2027, 5, 4, 9, tzinfo=UTC)
    assert resume(client, "daily") and not resume(client, "daily")
    clock.now = datetime(2027, 5, 4, 9, 0, 0, 4000, tzinfo=UTC)
    running.tick()
    assert sent(redis_url) == ["2027-05-04T09:00:00+00:00"]
    with pytest.raises(ValueError, match="a pause lasts from 1s to 7 days"):
        pause(client, "daily", 8 * 86400, "ops")


def test_a_failed_send_does_not_lose_the_run(config_dir, redis_url, clock, monkeypatch):
    """The broker refuses the first send (an outage): the record of the run is undone and
    the run sent on the next try, once (catchup: once)."""
    active = beat(config_dir)
    active.tick()
    real_send, failures = active.app.send_task, []

    def refused_once(*args, **kwargs):
        if not failures:
            failures.append(kwargs["headers"]["poli_due"])
            raise ConnectionError("broker away")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(active.app, "send_task", refused_once)
    clock.now = datetime(2027, 5, 3, 9, 0, 0, 4000, tzinfo=UTC)
    active.tick()
    assert (failures, sent(redis_url)) == (["2027-05-03T09:00:00+00:00"], [])
    assert beat(config_dir).store.handled()["daily"][0] < datetime(2027, 5, 3, 9, tzinfo=UTC)
    active.tick()  # too early for the retry
    clock.now += timedelta(seconds=scheduler_module.SEND_RETRY_SECONDS)
    active.tick()
    active.tick()
    assert sent(redis_url) == ["2027-05-03T09:00:00+00:00"]
