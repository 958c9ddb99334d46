"""The console without a browser (Flask's test client) and the commands beside it: the login,
a broker that is down, bad input, masking, the calendar and the schedule checks of `status`."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.config import load
from polictl.beat_report import BeatReport
from polictl.calendar import build_calendar, format_calendar
from polictl.console.app import create_app
from polictl.console.auth import Login
from polictl.main import cli
from polictl.runs import schedule_problems

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
DOWN = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1; a password to mask
LOGIN = Login("admin", "right")


def platform_on(broker_url: str):
    result = load(MINIMAL, env={"POLI_BROKER_URL": broker_url})
    assert result.platform is not None, result.diagnostics
    return result


def client_on(broker_url: str):
    result = platform_on(broker_url)
    app = create_app(lambda: result.platform, lambda: result.documents, LOGIN)
    return app.test_client()


def minimal_with(tmp_path: Path, schedules: str):
    """tests/configs/minimal with these schedules: (its directory, its platform)."""
    config = tmp_path / "config"
    config.mkdir()
    for name in ("queues.yaml", "tasks.yaml", "testhandlers.py"):
        (config / name).write_text((MINIMAL / name).read_text())
    (config / "schedules.yaml").write_text(f"timezone: UTC\nschedules:\n{schedules}")
    return config, load(config, env={"POLI_BROKER_URL": DOWN}).platform


def auth(user: str = "admin", password: str = "right") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_every_page_needs_the_login_but_the_probe():
    client = client_on(DOWN)
    for path in ("/", "/schedules", "/calendar", "/dead", "/queues", "/config", "/metrics"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=auth(password="wrong")).status_code == 401, path
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
    assert "hunter2" not in repr(LOGIN) and "right" not in repr(LOGIN)


def test_an_action_from_another_site_is_refused():
    client = client_on(DOWN)
    foreign = {**auth(), "Origin": "https://evil.example"}
    answer = client.post("/dead/purge", data={"confirm": "yes"}, headers=foreign)
    assert (answer.status_code, answer.get_data(as_text=True)) == (
        403,
        "refused: a form from another site\n",
    )
    own = {**auth(), "Origin": "http://localhost"}  # the test client's host
    assert "Delete every dead letter?" in client.post("/dead/purge", headers=own).get_data(
        as_text=True
    )


def test_the_console_refuses_to_start_without_a_password():
    result = CliRunner().invoke(
        cli,
        ["-C", str(MINIMAL), "console"],
        env={"POLI_BROKER_URL": DOWN, "POLI_WEB_PASSWORD": ""},
    )
    assert (result.exit_code, result.output) == (
        1,
        "error: the console needs an operator login, and POLI_WEB_PASSWORD is not set\n"
        "  hint: set POLI_WEB_PASSWORD (and POLI_WEB_USER, default admin) in the environment\n",
    )


def test_a_broker_that_is_down_is_a_message_on_every_page():
    client = client_on(DOWN)
    dead = client.get("/dead", headers=auth()).get_data(as_text=True)
    assert "error: broker redis://:***@127.0.0.1:1/0 unreachable:" in dead
    schedules = client.get("/schedules", headers=auth())
    assert schedules.status_code == 200
    assert "beat: broker unreachable" in schedules.get_data(as_text=True)
    queues = client.get("/queues", headers=auth()).get_data(as_text=True)
    assert "unreachable" in queues
    pause = client.post("/schedules/tick/pause", data={"duration": "1h"}, headers=auth())
    assert pause.status_code == 400
    metrics = client.get("/metrics", headers=auth()).get_data(as_text=True)
    assert "poli_broker_up 0" in metrics
    for page in (dead, queues, pause.get_data(as_text=True), metrics):
        assert "hunter2" not in page and "Traceback" not in page
    config = client.get("/config", headers=auth()).get_data(as_text=True)
    assert "broker.url" in config and "hunter2" not in config


def test_bad_input_on_the_pages():
    client = client_on(DOWN)
    unknown = client.post("/schedules/nope/pause", data={"duration": "1h"}, headers=auth())
    text = unknown.get_data(as_text=True)
    assert "error: no schedule &#39;nope&#39;<br><small>hint: one of: tick, nightly" in text
    too_long = client.post("/schedules/tick/pause", data={"duration": "9d"}, headers=auth())
    assert "is not a pause length" in too_long.get_data(as_text=True)
    since = client.get("/dead?since=soon", headers=auth()).get_data(as_text=True)
    assert "error: &#39;soon&#39; is not a duration" in since
    purge = client.post("/dead/purge", data={}, headers=auth()).get_data(as_text=True)
    assert "Delete every dead letter?" in purge  # asks first


def test_pause_of_an_unknown_schedule_or_with_the_broker_down_in_the_cli():
    def pause(name: str):
        env = {"POLI_BROKER_URL": DOWN}
        return CliRunner().invoke(cli, ["-C", str(MINIMAL), "pause", name, "--for", "1h"], env=env)

    unknown = pause("nope")
    assert (unknown.exit_code, unknown.output) == (
        1,
        "error: no schedule 'nope'\n  hint: one of: tick, nightly\n",
    )
    down = pause("tick")
    assert down.exit_code == 1
    assert down.output.startswith("error: broker redis://:***@127.0.0.1:1/0 unreachable: ")
    assert "Traceback" not in down.output and "hunter2" not in down.output


def test_the_calendar_flags_two_schedules_in_one_minute(tmp_path):
    config, platform = minimal_with(
        tmp_path,
        "  a: {task: system.echo, cron: '0 9 * * *', args: [a]}\n"
        "  b: {task: system.echo, cron: '0 */3 * * *', args: [b]}\n"
        "  c: {task: alerts.echo, cron: '0 9 * * *', args: [c]}\n",
    )
    start = datetime(2027, 5, 3, 0, 0, tzinfo=UTC)
    calendar = build_calendar(platform, 1, start=start, durations={"a": 30.0, "b": 12.5})
    assert format_calendar(calendar) == (
        "calendar 2027-05-03T00:00:00+00:00 .. 2027-05-04T00:00:00+00:00 (UTC)\n"
        "queue alerts: 1 runs, busiest hour Mon 09:00 (1 runs)\n"
        "queue system: 9 runs, busiest hour Mon 09:00 (2 runs),"
        " most work Mon 09:00 (42s measured)\n"
        "  collision Mon 2027-05-03 09:00: a, b"
    )
    svg = tmp_path / "week.svg"
    result = CliRunner().invoke(
        cli, ["-C", str(config), "calendar", "--svg", str(svg)], env={"POLI_BROKER_URL": DOWN}
    )
    assert result.exit_code == 0, result.output
    assert svg.read_text().startswith("<svg ") and 'class="collision"' in svg.read_text()


@pytest.mark.parametrize(
    ("runs", "last", "expected"),
    [
        ({}, {"due": "2027-05-03T09:00:00+00:00"}, []),
        (
            {"outcome": "failure", "due": "2027-05-03T09:00:00+00:00"},
            {"due": "2027-05-03T09:00:00+00:00"},
            ["schedule daily failed its last run (due 2027-05-03T09:00:00+00:00)"],
        ),
        (
            {},
            {"due": "2027-05-02T09:00:00+00:00"},
            ["schedule daily missed its run due 2027-05-03T09:00:00+00:00"],
        ),
        (
            {"outcome": "running", "started": datetime(2027, 5, 3, 9, tzinfo=UTC).timestamp()},
            {"due": "2027-05-03T09:00:00+00:00"},
            ["schedule daily runs past its time limit (20s) since 2027-05-03 09:00:00 UTC"],
        ),
    ],
)
def test_status_names_missed_failed_and_overdue_schedules(tmp_path, runs, last, expected):
    _, platform = minimal_with(
        tmp_path, "  daily: {task: system.echo, cron: '0 9 * * *', args: [d]}\n"
    )
    holder = {"host": "h", "pid": 1, "since": "x"}
    beat = BeatReport("hash", None, holder, {}, {"daily": last}, runs={"daily": runs})
    now = datetime(2027, 5, 3, 10, 0, tzinfo=UTC)
    assert schedule_problems(platform, beat, now) == expected
