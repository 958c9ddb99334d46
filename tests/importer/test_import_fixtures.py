"""`polictl import` on projects in the shapes real ones have: each imports, validates, and
`--check` is clean, or the report names exactly what was left."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import PROJECTS, polictl, validate

SEED = PROJECTS / "seed"
SHOP = PROJECTS / "shop"
NEWSROOM = PROJECTS / "newsroom"
FILES = ("queues.yaml", "tasks.yaml", "schedules.yaml")


def imported(project: Path, spec: str, out: Path, *args: str) -> dict:
    done = polictl(project, "import", spec, "-o", str(out), "--format", "json", *args)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert report["complete"] == (done.returncode == 0)
    assert validate(project, out).returncode == 0, validate(project, out).stdout
    return report


def test_a_project_of_plain_functions_imports_complete_and_checks_clean(tmp_path: Path):
    report = imported(SHOP, "shop.app:app", tmp_path)
    assert report["left"] == []
    schedules = (tmp_path / "schedules.yaml").read_text()
    assert (  # a schedule keeps its name, spaces and all
        '  "Rebuild search index": {task: shop.rebuild_index, cron: "*/15 8-20 * * mon-fri"}\n'
        in schedules
    )
    assert (
        '- {match: "*", queue: celery}  # task_default_queue'
        in (tmp_path / "queues.yaml").read_text()
    )
    check = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path), "--check")
    assert (check.returncode, check.stdout.strip()) == (
        0,
        "check: the Celery app and poli's app agree (tasks, routes, limits, retries, schedules)",
    )


def test_check_names_a_schedule_and_a_limit_that_differ(tmp_path: Path):
    imported(SHOP, "shop.app:app", tmp_path)
    for name, old, new in [
        ("schedules.yaml", "*/15 8-20", "*/20 8-20"),
        ("tasks.yaml", "time_limit: 5m,", "time_limit: 6m,"),
    ]:
        path = tmp_path / name
        path.write_text(path.read_text().replace(old, new))
    check = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path), "--check")
    lines = check.stdout.splitlines()
    assert check.returncode == 1
    assert "task shop.rebuild_index: time_limit: Celery 300, poli 360" in lines
    assert any(line.startswith("schedule Rebuild search index: fire time ") for line in lines)
    assert lines[-1] == "2 difference(s)"


def test_the_seed_imports_complete_and_checks_clean(tmp_path: Path):
    report = imported(SEED, "sistema_polinizacion", tmp_path)
    assert report["left"] == []
    assert report["environment"] == ["POLI_BROKER_URL"]
    assert report["notes"] == [
        "the app read CELERY_BROKER_URL, CELERY_RESULT_BACKEND from the environment while loading: "
        "what depends on them was imported with this environment's values; import again under "
        "each environment and keep the differences in an overlay (queues.production.yaml, ...)"
    ]
    texts = {name: (tmp_path / name).read_text() for name in FILES}
    assert not any("s3cret" in text for text in texts.values())  # the password stays out
    assert 'url: "${POLI_BROKER_URL:-redis://localhost:6379/0}"' in texts["queues.yaml"]
    assert "cleanup-old-alerts: {task: alerts.tasks.cleanup_old_alerts, " \
           'cron: "0 2 * * sun", kwargs: {days: 90}}' in texts["schedules.yaml"]  # fmt: skip
    # added by on_after_configure:
    assert "health-check: {task: system.tasks.health_check" in texts["schedules.yaml"]
    assert "  alerts.tasks.process_alerts: {handler: \"alerts.tasks:process_alerts\", " \
           "retry: exponential-3x}\n" in texts["tasks.yaml"]  # fmt: skip
    check = polictl(SEED, "import", "sistema_polinizacion", "-o", str(tmp_path), "--check")
    assert (check.returncode, check.stdout.strip()) == (
        0,
        "check: the Celery app and poli's app agree (tasks, routes, limits, retries, schedules)",
    )


def test_a_django_shaped_project_reports_exactly_what_was_left(tmp_path: Path):
    report = imported(NEWSROOM, "newsroom", tmp_path)
    assert [item["where"] for item in report["left"]] == [
        "setting accept_content=['json', 'pickle']",
        "setting beat_scheduler='django_celery_beat.schedulers:DatabaseScheduler'",
        "task newsroom.feeds.tasks.archive: serializer='pickle'",
        "task newsroom.feeds.tasks.reindex",
        "beat entry 'morning-edition'",
        "beat entry 'first-monday'",
        "task_routes 'newsroom\\\\.feeds\\\\.tasks\\\\.(fetch|parse)_.*'",
        "task_routes 'newsroom.routing.route_by_priority'",
    ]
    queues = (tmp_path / "queues.yaml").read_text()
    assert "celery:\n  worker_hijack_root_logger: false\n" in queues  # the pass-through
    assert (
        "fetch-feeds: {task: newsroom.feeds.tasks.fetch_feeds, every: 5m, expires: 4m}"
        in (tmp_path / "schedules.yaml").read_text()
    )
    assert "hunter2" not in "".join((tmp_path / name).read_text() for name in FILES)
    tasks = (tmp_path / "tasks.yaml").read_text()
    assert 'parse_entry: {handler: "newsroom.feeds.tasks:parse_entry", queue: feeds}' in tasks
    assert 'alert_urgent: {handler: "newsroom.feeds.tasks:alert_urgent", queue: urgent}' in tasks
    check = polictl(NEWSROOM, "import", "newsroom", "-o", str(tmp_path), "--check")
    assert check.stdout.splitlines() == [
        "task newsroom.feeds.tasks.archive: serializer: Celery 'pickle', poli 'json'",
        "task newsroom.feeds.tasks.reindex: not in poli's app",
        "schedule morning-edition: not in poli's schedule",
        "schedule first-monday: not in poli's schedule",
        "4 difference(s)",
    ]


def test_worker_groups_come_from_a_manager_script(tmp_path: Path):
    script = tmp_path / "celery_manager.sh"
    script.write_text(
        "#!/bin/sh\n"
        "celery -A shop.app worker -n mail@%h -Q mail,search \\\n  --concurrency=6 --loglevel=info -O fair\n"
        "celery -A shop.app worker -Q celery -c 2\n"
    )
    out = tmp_path / "out"
    imported(SHOP, "shop.app:app", out, "--workers", str(script))
    queues = (out / "queues.yaml").read_text()
    assert (
        "  mail: {queues: [mail, search], prefetch_multiplier: 1, concurrency: 6, "
        "options: {optimization: fair}}  # from celery_manager.sh:2"
    ) in queues
    assert "  celery: {queues: [celery], prefetch_multiplier: 1, concurrency: 2}  " \
           "# from celery_manager.sh:4" in queues  # fmt: skip


def test_an_older_spelled_rabbitmq_project_with_a_compose_file(tmp_path: Path):
    """The shape of a public Django project: CELERY_QUEUES/CELERY_DEFAULT_QUEUE, a RabbitMQ
    URL built from the environment, named tasks, one Compose service running worker and beat."""
    market = PROJECTS / "market"
    compose = str(market / "docker-compose.yaml")
    report = imported(market, "market", tmp_path, "--workers", compose)
    assert [(item["where"], item["todo"]) for item in report["left"]] == [
        ("queue 'feeds': exchange 'projects', routing key 'feeds'",
         "publish by queue name (routes), not by exchange"),
    ]  # fmt: skip
    assert [note.split(": ")[0] for note in report["notes"]] == [
        "setting enable_utc=False",
        "the app read RABBITMQ_PASSWORD from the environment while loading",
        "docker-compose.yaml:3",
        "docker-compose.yaml:3",
        "docker-compose.yaml:3",
        "docker-compose.yaml:4",
    ]
    queues = (tmp_path / "queues.yaml").read_text()
    assert 'url: "${POLI_BROKER_URL:-amqp://market@rabbit:5672/}"' in queues
    assert "guest-secret" not in queues
    assert "  worker.main: {queues: [celery], concurrency: 10, pool: threads}  " \
           "# from docker-compose.yaml:3" in queues  # fmt: skip
    tasks = (tmp_path / "tasks.yaml").read_text()
    assert 'gpt_request: {handler: "market.tasks:gpt_request", time_limit: 2m, queue: feeds}  ' \
           "# queue: where the app sends it (its routes, or the task's own queue=)" in tasks  # fmt: skip
    check = polictl(market, "import", "market", "-o", str(tmp_path), "--check", "--format", "json")
    assert (check.returncode, json.loads(check.stdout)) == (0, {"differences": [], "clean": True})
