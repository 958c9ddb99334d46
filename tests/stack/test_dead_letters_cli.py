"""`polictl dead list|show|replay|purge` and the count in `status`, as a user runs them,
over letters written by a real worker on the session's Redis."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from celery_process import built_app, celery_env
from reliability_process import CONFIG, letters, wait_for_letter, worker


@pytest.fixture
def app(redis_url):
    with built_app(CONFIG, redis_url) as app:
        yield app


def polictl(redis_url: str, *args: str, data_dir: str = "") -> subprocess.CompletedProcess:
    env = celery_env(CONFIG, redis_url, POLI_DATA_DIR=data_dir) if data_dir else None
    return subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(CONFIG), *args],
        env=env or celery_env(CONFIG, redis_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dead_letters_are_listed_shown_replayed_and_purged(app, redis_url, tmp_path):
    book = str(tmp_path / "journal")
    with worker(app, redis_url, tmp_path / "w.log"):
        first = app.send_task("default.fail", args=[book], kwargs={"reason": "no such user"})
        second = app.send_task("default.fail", args=[book], kwargs={"reason": "bad date"})
        flaky = app.send_task("default.flaky", args=[book])
        for result in (first, second, flaky):
            wait_for_letter(app, result.id)

        listed = polictl(redis_url, "dead", "list")
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert lines[0].split() == ["ID", "FAILED", "AT", "(UTC)", "TASK", "QUEUE", "ATTEMPTS"] + [
            "REASON",
            "EXCEPTION",
        ]
        assert lines[-1] == "3 dead letter(s)"
        row = next(line for line in lines if line.startswith(flaky.id)).split()
        assert row[2:7] == ["default.flaky", "default", "3", "retries", "exhausted"]

        only = json.loads(
            polictl(redis_url, "dead", "list", "--task", "default.fail", "--format", "json").stdout
        )
        assert sorted(letter["kwargs"]["reason"] for letter in only) == ["bad date", "no such user"]
        assert polictl(redis_url, "dead", "list", "--since", "1h").stdout.endswith(
            "3 dead letter(s)\n"
        )

        shown = polictl(redis_url, "dead", "show", first.id[:8])
        assert shown.returncode == 0, shown.stderr
        assert f"id:        {first.id}" in shown.stdout
        assert 'kwargs:    {"reason": "no such user"}' in shown.stdout
        assert "exception: ValueError: no such user" in shown.stdout
        assert "raise ValueError(reason)" in shown.stdout  # the traceback

        status = polictl(redis_url, "status", data_dir=str(tmp_path / "var"))
        assert "default.fail   2" in status.stdout, status.stdout
        assert "default.flaky  1" in status.stdout

        replayed = polictl(redis_url, "dead", "replay", first.id)
        assert replayed.returncode == 0, replayed.stderr
        new_id = replayed.stdout.splitlines()[0].split()[-1]
        assert replayed.stdout.startswith(f"replayed {first.id} (default.fail) to queue default as")
        again = wait_for_letter(app, new_id)  # it fails again: a new letter, naming the old one
        assert (again.replay_of, again.kwargs) == (first.id, {"reason": "no such user"})
        assert first.id not in letters(app)

        by_task = polictl(redis_url, "dead", "replay", "--all", "--task", "default.flaky")
        assert by_task.stdout.splitlines()[-1] == "1 replayed, 0 skipped"

    kept = polictl(redis_url, "dead", "purge", "--older-than", "1h", "--yes")
    assert kept.stdout == "purged 0 dead letter(s)\n"
    purged = polictl(redis_url, "dead", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert letters(app) == {}


def test_dead_letter_mistakes_are_one_line_errors(app, redis_url):
    missing = polictl(redis_url, "dead", "show", "nonexistent")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "error: no dead letter 'nonexistent'\n  hint: polictl dead list\n"
    usage = polictl(redis_url, "dead", "replay")
    assert usage.returncode == 2 and "give an ID or --all" in usage.stderr
    since = polictl(redis_url, "dead", "list", "--since", "yesterday")
    assert since.returncode == 2 and "'yesterday' is not a duration" in since.stderr


def test_replay_of_a_letter_that_no_longer_fits_is_skipped_with_a_message(app, redis_url):
    """The handler changed since the letter was written: no traceback, the letter is kept."""
    from engine.runtime.delivery.deadletter import DeadLetter
    from engine.runtime.delivery.reliability import dead_letters

    letter = DeadLetter(
        id="0123abcd-old",
        task="default.fail",
        queue="default",
        args=[],
        kwargs={"renamed_since": 1},
        exception="ValueError: x",
        traceback="",
        reason="not retried",
        attempts=1,
        failed_at=1.0,
    )
    dead_letters(app).add(letter)
    replayed = polictl(redis_url, "dead", "replay", letter.id)
    assert replayed.returncode == 1
    assert "Traceback" not in replayed.stderr
    assert replayed.stderr.startswith(
        "skipped 0123abcd-old: default.fail: arguments do not fit "
    ), replayed.stderr
    assert "got an unexpected keyword argument 'renamed_since'" in replayed.stderr
    assert replayed.stdout == "0 replayed, 1 skipped\n"
    assert letter.id in letters(app)
