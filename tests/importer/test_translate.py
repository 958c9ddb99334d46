"""The translation on its own: a snapshot (what the reader prints) in, files and what was
left out. One row of the table decides each value."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from polictl.importer import table
from polictl.importer.translate import translate
from polictl.importer.translate_schedules import SOLAR
from polictl.importer.values import duration, rate_limit, slug, without_password
from polictl.importer.workers import read_worker_specs

OPTIONS = {
    "time_limit": None, "soft_time_limit": None, "rate_limit": None, "acks_late": False,
    "ignore_result": False, "track_started": False, "expires": None, "max_retries": 3,
    "default_retry_delay": 180, "retry_backoff": None, "retry_backoff_max": None,
    "retry_jitter": None, "serializer": "json", "priority": None, "reject_on_worker_lost": None,
    "store_errors_even_if_ignored": False, "typing": True, "autoretry_for": [],
    "dont_autoretry_for": [],
}  # fmt: skip
TASK = {"handler": "proj.jobs:work", "no_handler": "", "task_object": False, "bind": False,
        "base": None, "queue": "celery", "queue_error": "", "options": OPTIONS}  # fmt: skip
SNAPSHOT = {
    "main": "proj",
    "conf": {"broker_url": "redis://localhost:6379/0", "result_backend": None, "timezone": None,
             "enable_utc": True, "task_default_queue": "celery"},
    "queues": [], "routes": [], "tasks": {"proj.work": TASK}, "schedules": {},
}  # fmt: skip


def snapshot(**changes) -> dict:
    data = copy.deepcopy(SNAPSHOT)
    for key, value in changes.items():
        data[key].update(value)
    return data


def entry(kind: str, **fields) -> dict:
    base = {"task": "proj.work", "kind": kind, "timezone": "UTC", "args": [], "kwargs": {},
            "options": {}, "relative": False, "next": []}  # fmt: skip
    return {**base, **fields}


def left(data: dict) -> list[tuple[str, str]]:
    return [(item.where, item.why) for item in translate(data, "proj", []).left]


def test_values_in_the_yamls_words():
    assert [duration(v) for v in (0, 90, 1800, 5400, 3600.0)] == [
        "0s",
        "1m30s",
        "30m",
        "1h30m",
        "1h",
    ]
    assert [rate_limit(v) for v in ("10/m", 5, 0.5, None)] == ["10/m", "5/s", "0.5/s", None]
    assert [slug(n) for n in ("Process Alerts", "10 sec queue probe")] == [
        "process-alerts",
        "s-10-sec-queue-probe",
    ]
    assert without_password("redis://:s3cret@cache:6379/0") == ("redis://cache:6379/0", True)
    assert without_password("redis://cache:6379/0?password=x") == ("redis://cache:6379/0", True)
    assert without_password("redis://cache:6379/0") == ("redis://cache:6379/0", False)


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        (entry("solar", event="sunrise", lat=40.4, lon=-3.7), SOLAR[0]),
        (entry("other", **{"class": "proj.beat:Custom"}),
         "schedule class proj.beat:Custom is not a crontab, interval or solar"),
        (entry("interval", seconds=0.5), "0.5 s is not a whole number of seconds"),
        (entry("crontab", fields=[0, 9, "1-7", "*", "mon"]),
         "Celery's crontab runs only when day-of-month AND day-of-week match; cron(5), and poli, "
         "run when either does"),
    ],
)  # fmt: skip
def test_schedules_poli_cannot_time_are_left(schedule: dict, why: str):
    assert left(snapshot(schedules={"nightly": schedule})) == [("beat entry 'nightly'", why)]


def test_a_beat_entry_for_an_unregistered_task_is_left():
    data = snapshot(schedules={"x": entry("interval", seconds=60, task="proj.gone")})
    assert left(data) == [("beat entry 'x': task 'proj.gone'", "the schedule names a task the app does not register")]  # fmt: skip


def test_a_secret_in_the_transport_options_stays_out_of_the_files():
    options = {
        "master_name": "main",
        "sentinel_kwargs": {"password": "hunter2", "socket_timeout": 1},
    }
    data = snapshot(conf={"broker_transport_options": options})
    result = translate(data, "proj", [])
    assert result.files["queues"]["broker"]["transport_options"] == {
        "master_name": "main",
        "sentinel_kwargs": {"socket_timeout": 1},
    }
    assert [item.where for item in result.left] == [
        "setting broker_transport_options: sentinel_kwargs.password"
    ]


def test_a_row_of_the_table_is_all_it_takes_to_carry_a_key(monkeypatch):
    """Task `expires` is carried since tasks.yaml has the key (issue 23); its row as it was
    before that is all it takes to leave it again, with its words."""
    data = snapshot(tasks={"proj.work": {**TASK, "options": {**OPTIONS, "expires": 600}}})
    result = translate(data, "proj", [])
    assert (result.left, result.files["tasks"]["tasks"]["proj.work"]["expires"]) == ([], "10m")
    before = table.Same(None, table.Leave("tasks.yaml has no `expires` yet", "wait for it"))
    monkeypatch.setitem(table.TASK_OPTIONS, "expires", before)
    assert left(data) == [("task proj.work: expires=600", "tasks.yaml has no `expires` yet")]


def test_a_setting_no_row_names_goes_through_celery_unless_poli_sets_it():
    data = snapshot(
        conf={"broker_pool_limit": 20, "task_annotations": {"*": {"rate_limit": "1/s"}}}
    )
    result = translate(data, "proj", [])
    assert result.files["queues"]["celery"] == {"broker_pool_limit": 20}
    assert [(item.where, item.why) for item in result.left] == [
        ("setting task_annotations={'*': {'rate_limit': '1/s'}}",
         "poli sets it from the task's own keys in tasks.yaml (a task's key, or `defaults:`)"),
    ]  # fmt: skip


def test_worker_lines_of_a_procfile_a_unit_and_a_supervisor_config(tmp_path: Path):
    files = {
        "Procfile": "web: gunicorn proj.wsgi\nworker: celery -A proj worker -Q mail,default -c 4\n",
        "celery.service": "[Service]\nExecStart=/venv/bin/celery -A proj worker --queues=reports \\\n"
        "  --concurrency 2 --hostname reports@%%h\n",  # fmt: skip
        "celery.conf": "[program:w]\ncommand=/venv/bin/celery -A proj worker --loglevel=info\n"
        "[program:b]\ncommand=/venv/bin/celery -A proj beat\n",  # fmt: skip
    }
    found = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        found += [
            (s.source, s.queues, s.concurrency, s.name) for s in read_worker_specs(tmp_path / name)
        ]
    assert found == [
        ("Procfile:2", ("mail", "default"), 4, None),
        ("celery.service:2", ("reports",), 2, "reports"),
        ("celery.conf:2", (), None, None),
    ]


def test_deployment_settings_poli_renders_its_own_way_are_named(tmp_path: Path):
    from polictl.importer.deployment import deployment_notes

    unit = tmp_path / "celery-worker.service"
    unit.write_text(
        "[Service]\nType=forking\nExecStart=/venv/bin/celery -A proj worker --detach "
        "--logfile=/var/log/celery/worker.log\nTimeoutStopSec=300\n"
    )
    assert [note.split(": ")[1] for note in deployment_notes(unit)] == [
        "Type=forking",
        "--detach",
        "--logfile=/var/log/celery/worker.log",
        "TimeoutStopSec=300",
    ]
    assert deployment_notes(unit)[-1] == (
        "celery-worker.service:4: TimeoutStopSec=300: poli derives each worker group's stop "
        "timeout from the longest hard time limit of the tasks routed to it, plus a margin "
        "(see `polictl render`)"
    )


def test_a_setting_left_behind_is_named_without_its_secret():
    data = snapshot(conf={"redis_password": "hunter2", "task_annotations": {"*": {"token": "t0k"}}})
    assert [item.where for item in translate(data, "proj", []).left] == [
        "setting redis_password='***'",
        "setting task_annotations={'*': {'token': '***'}}",
    ]


@pytest.mark.parametrize(
    "value",
    ["yes", "123", "a: b", "*/15 8-20 * * mon-fri", "${X:-y}", "", "#x", "it's", 'say "hi"',
     "ñandú", None, True, 1.5, [1, "two", {"k": "v: w"}], {"days": 90, "tag": "null"}],
)  # fmt: skip
def test_every_value_reads_back_as_written(value):
    import yaml

    from polictl.importer.emit import flow

    assert yaml.safe_load(f"key: {flow(value)}") == {"key": value}


def test_a_crontab_whose_day_fields_both_match_the_same_way_is_carried():
    """Vixie's rule: a day field starting with `*` makes both required, as Celery always does."""
    data = snapshot(schedules={"odd-mondays": entry("crontab", fields=[0, 9, "*/2", "*", "mon"])})
    result = translate(data, "proj", [])
    assert result.left == []
    assert result.files["schedules"]["schedules"]["odd-mondays"]["cron"] == "0 9 */2 * mon"


def test_a_worker_line_read_option_by_option():
    from polictl.importer.worker_line import carried_options, group_settings, worker_options

    line = ("web: gunicorn app\tworker: celery -A proj worker -Q a,b -c 4 -O fair --without-gossip "
            "--autoscale=10,3 -l WARNING --max-tasks-per-child 100 -P threads --detach -E")  # fmt: skip
    options = worker_options(line)
    assert options == {
        "queues": "a,b", "concurrency": "4", "optimization": "fair", "without-gossip": True,
        "autoscale": "10,3", "loglevel": "WARNING", "max-tasks-per-child": "100",
        "pool": "threads", "detach": True, "task-events": True,
    }  # fmt: skip
    assert group_settings(options) == {
        "pool": "threads",
        "loglevel": "warning",
        "max_tasks_per_child": 100,
    }
    assert carried_options(options) == {
        "autoscale": "10,3",
        "optimization": "fair",
        "without-gossip": True,
    }
    assert worker_options("celery -A proj beat -l info") is None
