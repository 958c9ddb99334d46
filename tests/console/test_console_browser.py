"""The operator console in a real browser, as an operator uses it: log in, read the
schedules and the calendar, replay a task that failed for good, pause and resume a schedule;
and no page without the login. One console, worker, beat and browser for the module."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time

import pytest
from celery_process import built_app, celery_beat, celery_env
from console_process import PASSWORD, USER, console_server
from reliability_process import letters, wait_for_letter, worker

NAMES = ["often-work", "hourly-work", "nightly-work", "clash-work", "system-work"]
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


@pytest.fixture(scope="module")
def app(console_config, console_broker):
    with built_app(console_config, console_broker) as app:
        yield app


@pytest.fixture(scope="module")
def running(app, console_config, console_broker, tmp_path_factory):
    """A worker on `default`, beat, and the console: yields the console's URL."""
    logs = tmp_path_factory.mktemp("console-logs")
    with (
        worker(app, console_broker, logs / "worker.log"),
        celery_beat(console_config, console_broker, logs, logs / "beat.log"),
        console_server(console_config, console_broker, logs / "console.log") as url,
    ):
        wait_for_the_lock(app, logs / "beat.log")
        yield url


def wait_for_the_lock(app, log, timeout: float = 30) -> None:
    """Beat holds its lock before any test looks (tests run in random order)."""
    from engine.runtime.beat.store import LOCK
    from engine.runtime.delivery.reliability import broker_client

    deadline = time.monotonic() + timeout
    while not broker_client(app).exists(LOCK):
        assert time.monotonic() < deadline, f"beat took no lock:\n{log.read_text()}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def page(browser, running):
    context = browser.new_context(
        http_credentials={"username": USER, "password": PASSWORD}, base_url=running
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def polictl(config, broker, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "polictl", "-C", str(config), *args]
    env = celery_env(config, broker)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_no_page_without_the_login(browser, running):
    context = browser.new_context(base_url=running)
    try:
        for path in ("/schedules", "/dead", "/metrics", "/config"):
            assert context.request.get(path).status == 401, path
        guess = base64.b64encode(f"{USER}:guess".encode()).decode()
        wrong = context.request.get("/schedules", headers={"Authorization": f"Basic {guess}"})
        assert (wrong.status, wrong.headers["www-authenticate"]) == (
            401,
            'Basic realm="poli console", charset="UTF-8"',
        )
    finally:
        context.close()


def test_every_schedule_with_its_next_runs_and_its_last_run(page, artifacts):
    page.goto("/schedules")
    for name in NAMES:
        row = page.locator(f'tr[data-schedule="{name}"]')
        assert ISO.search(row.locator("td.next").inner_text()), name
    assert "every 2s" in page.locator('tr[data-schedule="often-work"]').inner_text()
    # beat sends often-work every 2s; the worker records each run (schedule monitoring)
    _reload_until(page, "often-work", "last success")
    assert "beat: active on" in page.locator("#beat").inner_text()
    page.screenshot(path=str(artifacts / "schedules.png"), full_page=True)


def _reload_until(page, name: str, text: str, tries: int = 120) -> None:
    for _ in range(tries):
        page.goto("/schedules")
        if text in page.locator(f'tr[data-schedule="{name}"] td.last').inner_text():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{name}: no {text!r} run shown")


def test_a_schedule_whose_last_run_failed_is_named_by_the_page_and_status(
    page, app, console_config, console_broker
):
    from engine.runtime.beat.runs import finished, started
    from engine.runtime.delivery.reliability import broker_client

    client = broker_client(app)
    started(client, "system-work", "2026-12-01T08:15:00+00:00", "run-1", 1.0)
    finished(client, "system-work", "failure", 2.0)
    page.goto("/schedules")
    problem = "schedule system-work failed its last run (due 2026-12-01T08:15:00+00:00)"
    assert problem in page.locator("#problems").inner_text()
    status = polictl(console_config, console_broker, "status")
    assert status.returncode == 1 and problem in status.stdout, status.stdout + status.stderr
    finished(client, "system-work", "success", 3.0)  # the next run succeeded
    page.goto("/schedules")
    assert page.locator("#problems").count() == 0


def test_the_calendar_draws_each_queue_and_flags_collisions(page, artifacts):
    page.goto("/schedules")
    page.get_by_role("link", name="Calendar").click()
    assert page.locator("#calendar svg").count() == 1
    lanes = page.locator("#lanes").inner_text()
    assert "default" in lanes and "system" in lanes
    assert page.locator("#calendar line.collision").count() > 0  # hourly and clash at :00
    page.screenshot(path=str(artifacts / "calendar-week.png"), full_page=True)
    page.get_by_role("link", name="Day").click()
    assert "a day" in page.locator("h1").inner_text()


def test_a_task_that_failed_for_good_is_replayed_from_its_page(
    page, app, console_config, artifacts
):
    journal = str(console_config / "journal")
    failed = app.send_task("default.fail", args=[journal], kwargs={"reason": "no such user"})
    wait_for_letter(app, failed.id)
    page.goto("/dead")
    row = page.locator(f'tr[data-letter="{failed.id}"]')
    assert "ValueError: no such user" in row.inner_text()
    page.screenshot(path=str(artifacts / "dead-letters.png"), full_page=True)
    row.get_by_role("link").click()
    assert "raise ValueError(reason)" in page.locator("#traceback").inner_text()
    page.screenshot(path=str(artifacts / "dead-letter.png"), full_page=True)
    page.get_by_role("button", name="Replay").click()
    page.locator("#confirm").click()  # the confirmation step
    outcome = page.locator("#outcomes").inner_text()
    assert outcome.startswith(f"replayed {failed.id} (default.fail) to queue default as")
    again = wait_for_letter(app, outcome.split()[-1])  # it fails again, naming the old one
    assert (again.replay_of, again.kwargs) == (failed.id, {"reason": "no such user"})
    assert failed.id not in letters(app)


@pytest.mark.parametrize(
    ("task", "args", "message"),
    [
        ("default.gone", [], "task 'default.gone' is no longer declared"),
        ("default.fail", [], "missing a required argument: 'journal'"),
    ],
)
def test_a_letter_that_no_longer_fits_stays_with_a_message(page, app, task, args, message):
    from engine.runtime.delivery.deadletter import DeadLetter
    from engine.runtime.delivery.reliability import dead_letters

    letter_id = f"misfit-{task}"
    misfit = DeadLetter(letter_id, task, "default", args, {}, "E: x", "", "not retried", 1, 1.0)
    dead_letters(app).add(misfit)
    page.goto(f"/dead/{letter_id}")
    page.get_by_role("button", name="Replay").click()
    page.locator("#confirm").click()
    outcome = page.locator("#outcomes").inner_text()
    assert outcome.startswith(f"skipped {letter_id}: ") and message in outcome, outcome
    assert "0 replayed, 1 skipped (a skipped letter stays)" in page.locator("main").inner_text()
    assert letter_id in letters(app)  # nothing lost


def test_pause_and_resume_a_schedule(page, console_config, console_broker):
    page.goto("/schedules")
    row = page.locator('tr[data-schedule="hourly-work"]')
    row.locator('input[name="duration"]').fill("30m")
    row.get_by_role("button", name="Pause").click()
    assert "hourly-work: paused by admin at" in page.locator(".notice").inner_text()
    assert "paused by admin" in row.locator("td.state").inner_text()
    listed = polictl(console_config, console_broker, "schedules")
    assert "  override: paused by admin at" in listed.stdout, listed.stderr
    row.get_by_role("button", name="Resume").click()
    assert page.locator(".notice").inner_text() == "hourly-work: resumed"
    assert row.locator("td.state").inner_text() == "enabled"


def test_queues_show_depth_consumers_and_missing_groups(page, artifacts):
    page.goto("/schedules")
    page.get_by_role("link", name="Queues and workers").click()
    rows = {
        r.split("\t")[0]: r.split("\t") for r in page.locator("#queues").inner_text().splitlines()
    }
    assert rows["default"][2].startswith("test-") and rows["system"][2] == "none"
    # the test's worker is not named after a group (GROUP@host), so both read as missing
    assert "missing" in page.locator('#groups tr[data-group="system"]').inner_text()
    page.screenshot(path=str(artifacts / "queues.png"), full_page=True)
    page.get_by_role("link", name="Config").click()
    assert "broker.url" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts / "config.png"), full_page=True)


def test_metrics_name_schedules_dead_letters_queues_and_the_lock_holder(page, app, console_config):
    failed = app.send_task("default.fail", args=[str(console_config / "journal")])
    wait_for_letter(app, failed.id)
    _reload_until(page, "often-work", "last success")  # tests run in random order
    text = page.request.get("/metrics").text()
    assert 'poli_schedule_runs_total{schedule="often-work",outcome="success"}' in text
    assert 'poli_schedule_last_success_timestamp_seconds{schedule="often-work"' in text
    assert 'poli_dead_letters{task="default.fail"}' in text
    assert 'poli_queue_depth{queue="default"}' in text
    assert "poli_beat_lock_held{host=" in text and "poli_broker_up 1" in text


def test_a_pause_of_an_unknown_schedule_is_a_message_not_a_traceback(page):
    answer = page.request.post("/schedules/no-such/pause", form={"duration": "1h"})
    assert answer.status == 400
    assert "error: no schedule &#39;no-such&#39;" in answer.text()
    assert "Traceback" not in answer.text()
