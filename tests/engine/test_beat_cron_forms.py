"""crontab(5)'s own forms, end to end: what `validate` accepts, `polictl schedules`
previews, the built app's beat schedule answers, and a real worker and beat start with.

(`5/15 * * * *` used to validate, then kill every worker and beat at start: the app
handed the field to Celery's crontab parser. poli's schedule objects no longer use it.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from celery.schedules import crontab
from celery_process import built_app, celery_beat, celery_env, stop, worker_process

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
FORMS = {  # name: (cron, the next runs' (weekday 0=Mon, hour, minute) must satisfy this)
    "quarter": ("5/15 * * * *", lambda t: t.minute in (5, 20, 35, 50)),
    "odd-hours": ("0 1-23/2 * * *", lambda t: t.minute == 0 and t.hour % 2 == 1),
    "long-weekend": ("30 22-2 * * fri-mon", lambda t: t.hour in (22, 23, 0, 1, 2)),
    "sundays": ("0 9 * * 7", lambda t: (t.weekday(), t.hour) == (6, 9)),
    "full-names": ("0 9 * January,JULY Monday", lambda t: t.month in (1, 7) and t.weekday() == 0),
    "february-mondays": ("0 0 30 2 mon", lambda t: (t.month, t.weekday()) == (2, 0)),
    "nightly": ("@midnight", lambda t: (t.hour, t.minute) == (0, 0)),
    "yearly": ("@annually", lambda t: (t.month, t.day, t.hour) == (1, 1, 0)),
    "hourly": ("@HOURLY", lambda t: t.minute == 0),
    "first-or-some-days": ("0 0 1 * 1,*/3", lambda t: t.day == 1 or t.weekday() in (0, 2, 5, 6)),
    "every-minute": ("* * * * *,0", lambda t: t.second == 0),
}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = shutil.copytree(MINIMAL, tmp_path / "config")
    lines = ["timezone: Europe/Madrid", "schedules:"]
    lines.append("  tick: {task: system.echo, every: 1s, args: [tick], queue: system}")
    lines.append("  daily: {task: reports.echo, every: 1d}")
    lines.append("  jittered: {task: system.echo, every: 3s, jitter: 3s, queue: system}")
    lines += [
        f'  {name}: {{task: reports.echo, cron: "{cron}"}}' for name, (cron, _) in FORMS.items()
    ]
    (target / "schedules.yaml").write_text("\n".join(lines) + "\n")
    return target


def polictl(config_dir: Path, broker_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [Path(sys.executable).with_name("polictl"), "-C", str(config_dir), *args]
    env = {**os.environ, "POLI_BROKER_URL": broker_url, "POLI_DATA_DIR": str(config_dir / "var")}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_crontab_forms_validate_and_preview(config_dir):
    nowhere = "redis://127.0.0.1:1/0"
    validate = polictl(config_dir, nowhere, "validate")
    assert (validate.returncode, validate.stdout) == (0, "config is valid\n"), validate.stderr
    shown = polictl(config_dir, nowhere, "schedules", "--format", "json", "--next", "12")
    assert shown.returncode == 0, shown.stderr
    rows = {row["name"]: row for row in json.loads(shown.stdout)}
    for name, (_, fits) in FORMS.items():
        runs = [datetime.fromisoformat(t) for t in rows[name]["next"]]
        assert len(runs) == 12 and all(fits(run) for run in runs), (name, rows[name]["next"])
    first, second = (datetime.fromisoformat(t) for t in rows["daily"]["next"][:2])
    assert (second - first, first.astimezone(UTC).hour) == (timedelta(days=1), 0)


def test_the_app_schedules_without_celerys_crontab_parser(config_dir):
    with built_app(config_dir, "redis://127.0.0.1:1/0") as app:
        entries = app.conf.beat_schedule
        assert not any(isinstance(e["schedule"], crontab) for e in entries.values())
        quarter = entries["quarter"]["schedule"]
        quarter.nowfun = lambda: datetime(2027, 3, 1, 9, 20, 1, tzinfo=UTC)  # 10:20 Madrid
        due, wait = quarter.is_due(datetime(2027, 3, 1, 9, 5, tzinfo=UTC))
        assert (due, wait) == (True, 15 * 60 - 1)  # 10:20 due now, 10:35 next
        assert quarter.is_due(datetime(2027, 3, 1, 9, 20, tzinfo=UTC)) == (False, 15 * 60 - 1)


def sent(client: redis.Redis, name: str) -> list[datetime]:
    messages = [json.loads(m) for m in client.lrange("system", 0, -1)]
    return [
        datetime.fromisoformat(m["headers"]["poli_due"])
        for m in messages
        if m["headers"]["poli_schedule"] == name
    ]


def test_a_real_worker_and_beat_run_with_these_forms(config_dir, redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    beat_log = tmp_path / "beat.log"
    started = datetime.now(UTC)
    with built_app(config_dir, redis_url) as app:
        with worker_process(app, config_dir, redis_url, ["default"], tmp_path / "worker.log"):
            with celery_beat(config_dir, redis_url, tmp_path, beat_log) as beat:
                deadline = time.monotonic() + 30
                while len(sent(client, "jittered")) < 2 and beat.poll() is None:
                    assert time.monotonic() < deadline, beat_log.read_text()
                    time.sleep(0.1)
                shown = polictl(config_dir, redis_url, "schedules", "--format", "json")
                shown_at = datetime.now(UTC)
    assert "Traceback" not in beat_log.read_text(), beat_log.read_text()
    rows = {row["name"]: row for row in json.loads(shown.stdout)}
    offset = rows["jittered"]["jitter_offset"]  # the preview's: from the name, in [0, 3)
    assert offset in (0, 1, 2)
    assert {int(due.timestamp()) % 3 for due in sent(client, "jittered")} == {offset}
    assert {int(datetime.fromisoformat(t).timestamp()) % 3 for t in rows["jittered"]["next"]} == {
        offset
    }
    for name, (_, fits) in FORMS.items():  # the running beat's next due time is the preview's
        beat_next = datetime.fromisoformat(rows[name]["beat_next"])
        preview = datetime.fromisoformat(rows[name]["next"][0])
        # (or, for `* * * * *`, one that came due while polictl was starting)
        assert beat_next == preview or started < beat_next <= shown_at, rows[name]
        assert fits(beat_next.astimezone(preview.tzinfo)), rows[name]


def test_celerys_stock_beat_runs_poli_schedule_objects(config_dir, redis_url, tmp_path):
    """`celery beat -S celery.beat:PersistentScheduler` (no lock, no reload) reads the same
    objects from app.conf.beat_schedule: they are Celery schedules, due by poli's rule."""
    client = redis.Redis.from_url(redis_url)
    log = tmp_path / "stock-beat.log"
    command = [sys.executable, "-m", "celery", "-A", "engine.app", "beat", "--loglevel", "info"]
    command += ["-S", "celery.beat:PersistentScheduler", "--max-interval", "1"]
    command += ["--schedule", str(tmp_path / "celerybeat-schedule")]
    with open(log, "w") as out:
        beat = subprocess.Popen(
            command,
            cwd=config_dir,
            env=celery_env(config_dir, redis_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while client.llen("system") < 3 and beat.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        stop(beat)
    text = log.read_text()
    assert "Traceback" not in text and "Scheduler: Sending due task jittered" in text, text
