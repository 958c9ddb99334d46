"""Beat's lock on the session's real Redis, driven through its whole story by two holders:
the lock expires for real (no key deleted by hand, no renewal time set to infinity), a
standby takes over, and the old holder's late renewal fails and leaves it standing by."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from engine.config import load
from engine.runtime.app.build import build_app
from engine.runtime.beat import scheduler as scheduler_module
from engine.runtime.beat import store as beat_store
from engine.runtime.beat.scheduler import PoliScheduler
from engine.runtime.beat.store import LOCK, BeatStore

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
TTL = 0.4  # seconds: short, so the lock really expires within the test
BEAT_TTL = 1  # the shortest `beat.lock_ttl` schedules.yaml accepts
DAILY = "  daily: {task: system.echo, cron: '0 9 * * *', args: [daily]}\n"


def expire(client: redis.Redis, timeout: float = 5.0) -> None:
    """Wait (bounded) until Redis itself has dropped the lock."""
    deadline = time.monotonic() + timeout
    while client.exists(LOCK):
        assert time.monotonic() < deadline, f"the lock outlived its ttl: {client.pttl(LOCK)} ms"
        time.sleep(0.02)


@pytest.fixture
def client(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_two_stores_expiry_takeover_and_a_stale_renewal(client):
    old, new = BeatStore(client), BeatStore(client)
    assert old.acquire(TTL) and not new.acquire(TTL)  # one holder at a time
    assert old.renew(TTL) and client.get(LOCK).decode() == old.value
    assert new.claim("tick", datetime(2027, 5, 3, 9, tzinfo=UTC), "r") == -1  # not the holder

    expire(client)  # the old holder stopped renewing (hung, or paused by the OS)
    assert new.acquire(TTL)
    assert old.value != new.value and client.get(LOCK).decode() == new.value

    assert not old.renew(TTL)  # its late renewal is refused ...
    assert client.get(LOCK).decode() == new.value  # ... and changes nothing
    assert 0 < client.pttl(LOCK) <= TTL * 1000
    due = datetime(2027, 5, 3, 9, tzinfo=UTC)
    assert old.claim("tick", due, "r") == -1  # it cannot send either
    assert new.claim("tick", due, "r") == 1
    assert new.claim("tick", due, "r") == 0  # the same run is never handled twice
    old.release()  # a stale release leaves the new holder's lock alone
    assert client.get(LOCK).decode() == new.value
    assert beat_store.read(client)["holder"] is not None
    new.release()
    assert client.get(LOCK) is None and beat_store.read(client)["holder"] is None


@pytest.fixture
def config_dir(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLI_BROKER_URL", redis_url)
    target = shutil.copytree(MINIMAL, tmp_path / "config")
    text = f"timezone: UTC\nbeat: {{lock_ttl: {BEAT_TTL}s}}\nschedules:\n{DAILY}"
    (target / "schedules.yaml").write_text(text)
    return target


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    now = [datetime(2027, 5, 3, 8, 59, 59, tzinfo=UTC)]  # a Monday, before the 09:00 run
    monkeypatch.setattr(scheduler_module, "utcnow", lambda: now[0])
    return now


def scheduler(config_dir: Path) -> PoliScheduler:
    platform = load(config_dir).platform
    assert platform is not None and platform.beat.lock_ttl == BEAT_TTL
    return PoliScheduler(app=build_app(platform), max_interval=1)


def wait_until_due(beat: PoliScheduler, timeout: float = 5.0) -> None:
    """Wait (bounded) until `beat`'s own next lock check is due, as its loop would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < beat._lock_at:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_two_schedulers_expiry_takeover_and_a_stale_renewal(config_dir, client, clock, redis_url):
    old, new = scheduler(config_dir), scheduler(config_dir)
    old.tick(), new.tick()
    assert (old.active, new.active) == (True, False)

    expire(client)  # `old` hangs: it does not tick while its lock runs out
    wait_until_due(new)
    new.tick()  # the standby's next poll takes over
    assert (new.active, client.get(LOCK).decode()) == (True, new.store.value)

    wait_until_due(old)  # `old` wakes up and renews, late
    old.tick()
    assert not old.active  # it knows it lost the lock at once, before any send
    assert client.get(LOCK).decode() == new.store.value  # and shows as holder nowhere

    clock[0] = datetime(2027, 5, 3, 9, 0, 0, 4000, tzinfo=UTC)
    old.tick(), new.tick()
    sent = [m for m in client.lrange("system", 0, -1)]
    assert len(sent) == 1 and b'"poli_due": "2027-05-03T09:00:00+00:00"' in sent[0]
    old.close(), new.close()
    assert client.get(LOCK) is None  # the holder hands over on a clean stop
