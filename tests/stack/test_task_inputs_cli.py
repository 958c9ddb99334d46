"""`polictl run`, `tasks` and `purge --all` as a user runs them, on the repository's YAML and a
real Redis: bad inputs refused before anything is sent, strict JSON, --local, the schema."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest
import redis
from click.testing import CliRunner, Result
from stack_helpers import Stack, small_config

from polictl.main import cli

QUEUES = ("default", "alerts", "reports", "system")
EXPORT = (
    "handlers.reports:export_report(kind: str, format: str = 'csv', report_id: int | None = None,"
    " start: str | None = None, end: str | None = None)"
)


@pytest.fixture
def config(tmp_path: Path) -> Stack:
    """The repository's YAML in a directory of its own; nothing started, so nothing to stop."""
    from engine.runtime.embedded import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("POLI_")}
    env["POLI_DATA_DIR"] = str(tmp_path / "data")
    return Stack(small_config(tmp_path / "config", free_port()), tmp_path / "data", env)


@pytest.fixture
def broker(config: Stack, redis_url: str) -> redis.Redis:
    config.env |= {"POLI_BROKER_URL": redis_url, "POLI_RESULT_BACKEND": redis_url}
    return redis.Redis.from_url(redis_url)


def polictl(stack: Stack, *args: str, input: str | None = None) -> Result:
    """In this process (quick): the checks under test need no process of their own."""
    env = {key: stack.env.get(key) for key in ("POLI_BROKER_URL", "POLI_RESULT_BACKEND")}
    env["POLI_DATA_DIR"] = stack.env["POLI_DATA_DIR"]
    command = ["-C", str(stack.config_dir), *args]
    return CliRunner().invoke(cli, command, env=env, input=input)


def _waiting(broker: redis.Redis) -> dict[str, int]:
    return {queue: broker.llen(queue) for queue in QUEUES}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["reports.export", "--kwargs", '{"format": "xlsx"}'],
            f"error: reports.export: arguments do not fit {EXPORT}: missing a required argument: 'kind'",
        ),
        (
            ["alerts.cleanup", "--kwargs", '{"older_than": 3}'],
            "error: alerts.cleanup: arguments do not fit handlers.alerts:cleanup_alerts("
            "older_than_days: int = 90, batch_size: int = 500): got an unexpected keyword argument"
            " 'older_than'",
        ),
        (
            ["alerts.cleanup", "--kwargs", '{"older_than_days": "3"}'],
            "error: alerts.cleanup: arguments do not fit handlers.alerts:cleanup_alerts("
            "older_than_days: int = 90, batch_size: int = 500): older_than_days: input should be a"
            " valid integer, got '3'",
        ),
    ],
)
def test_run_refuses_what_does_not_fit_before_sending(config, broker, args, message) -> None:
    result = polictl(config, "run", *args)
    assert result.exit_code == 2
    name = args[0]
    assert result.stderr.splitlines() == [
        message,
        f"  hint: nothing was sent; what it takes: polictl tasks {name}",
    ]
    assert _waiting(broker) == dict.fromkeys(QUEUES, 0)
    fits = polictl(config, "run", "reports.export", "--kwargs", '{"kind": "records"}')
    assert fits.exit_code == 0, fits.stderr
    assert _waiting(broker)["reports"] == 1


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (
            ["--args", "[1, NaN]"],
            [
                "error: --args is not valid JSON: NaN is not JSON (JSON has no NaN or Infinity)",
                "  hint: e.g. --args '[1, \"two\"]'",
            ],
        ),
        (
            ["--kwargs", '{"keep": 1, "keep": 2}'],
            [
                "error: --kwargs is not valid JSON: the key 'keep' appears twice",
                '  hint: e.g. --kwargs \'{"name": "value"}\'',
            ],
        ),
        (
            ["--kwargs", "{keep: 1}"],
            [
                "error: --kwargs is not valid JSON: Expecting property name enclosed in double"
                " quotes: line 1 column 2 (char 1)",
                '  hint: e.g. --kwargs \'{"name": "value"}\'',
            ],
        ),
        (
            ["--kwargs", "[1]"],
            [
                "error: --kwargs must be a JSON object, not list",
                '  hint: e.g. --kwargs \'{"name": "value"}\'',
            ],
        ),
    ],
)
def test_arguments_are_strict_json(config, broker, args, lines) -> None:
    result = polictl(config, "run", "system.backup_database", *args)
    assert (result.exit_code, result.stderr.splitlines()) == (2, lines)
    assert _waiting(broker) == dict.fromkeys(QUEUES, 0)


def test_tasks_lists_each_task_with_the_schema_run_checks(config: Stack) -> None:
    listed = polictl(config, "tasks", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert len(rows) == 11
    cleanup = rows["alerts.cleanup"]
    assert (cleanup["queue"], cleanup["time_limit"], cleanup["soft_time_limit"]) == (
        "alerts",
        900,
        840,
    )
    assert cleanup["retry"]["name"] == "standard" and cleanup["retry"]["max_retries"] == 3
    assert rows["system.ping"]["retry"] is None
    validator = jsonschema.Draft202012Validator(cleanup["input_schema"])
    assert not validator.is_valid({"older_than": 3}) and not validator.is_valid(
        {"older_than_days": "3"}
    )
    assert validator.is_valid({"older_than_days": 3})
    assert "kind" in rows["reports.export"]["input_schema"]["required"]

    text = polictl(config, "tasks", "alerts.cleanup")
    assert text.stdout.splitlines()[:3] == [
        "alerts.cleanup -> queue alerts",
        "  handler  handlers.alerts:cleanup_alerts(older_than_days: int = 90, batch_size: int = 500)",
        "  limits   time 15m, soft 14m, acks late",
    ]


def _local_config(config: Stack, tmp_path: Path) -> None:
    """A task whose retry policy is quick enough to watch, and a slow one with short limits."""
    (config.config_dir / "localhandlers.py").write_text(
        "from pathlib import Path\n"
        "import time\n\n"
        "def flaky(marker: str) -> int:\n"
        "    tries = Path(marker).read_text().count('x') + 1 if Path(marker).exists() else 1\n"
        "    Path(marker).write_text('x' * tries)\n"
        "    if tries < 3:\n"
        "        raise ConnectionError(f'try {tries}')\n"
        "    return tries\n\n"
        "def slow(seconds: float) -> float:\n"
        "    time.sleep(seconds)\n"
        "    return seconds\n\n"
        "def stubborn(seconds: float) -> str:\n"
        "    from celery.exceptions import SoftTimeLimitExceeded\n"
        "    deadline = time.monotonic() + seconds\n"
        "    while time.monotonic() < deadline:\n"
        "        try:\n"
        "            time.sleep(max(0.0, deadline - time.monotonic()))\n"
        "        except SoftTimeLimitExceeded:  # swallowed, as careless code does\n"
        "            print('soft limit ignored', flush=True)\n"
        "    return 'finished'\n"
    )
    tasks = config.config_dir / "tasks.yaml"
    tasks.write_text(
        tasks.read_text().replace(
            "retry_policies:\n",
            "retry_policies:\n  quick: {max_retries: 3, backoff: fixed, initial: 1s, max: 1s}\n",
        )
        + '  system.flaky: {handler: "localhandlers:flaky", retry: quick}\n'
        + '  system.slow: {handler: "localhandlers:slow", time_limit: 3s, soft_time_limit: 1s}\n'
        + '  system.stubborn: {handler: "localhandlers:stubborn", time_limit: 3s, soft_time_limit: 1s, retry: none}\n'
    )


def test_run_local_runs_in_process_with_retries_and_time_limits(
    config: Stack, tmp_path: Path
) -> None:
    _local_config(config, tmp_path)
    config.env["POLI_BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    marker = tmp_path / "marker"
    started = time.monotonic()
    ran = config.polictl(
        "run", "system.flaky", "--kwargs", json.dumps({"marker": str(marker)}), "--local"
    )
    took = time.monotonic() - started
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "3\n"
    assert ran.stderr.splitlines() == [
        "running system.flaky here (--local: no broker, no worker)",
        "attempt 1 failed: ConnectionError('try 1'); retrying in 1s",
        "attempt 2 failed: ConnectionError('try 2'); retrying in 1s",
    ]
    assert took >= 2  # each retry waited its countdown, as on a worker

    slow = config.polictl("run", "system.slow", "--args", "[10]", "--local")
    assert slow.returncode == 1
    assert slow.stderr.splitlines()[-1] == (
        "error: system.slow failed: SoftTimeLimitExceeded('soft time limit (1s)')"
    )
    refused = config.polictl("run", "system.slow", "--args", '["10"]', "--local")
    assert refused.returncode == 2
    assert "seconds: input should be a valid number, got '10'" in refused.stderr


def test_run_local_hard_limit_stops_a_handler_that_swallows_the_soft_one(
    config: Stack, tmp_path: Path
) -> None:
    """README: the hard limit raises TimeLimitExceeded in the process (a timer), at 3s, not
    after the 30s the handler wanted; the soft one, swallowed, did not stop it."""
    _local_config(config, tmp_path)
    config.env["POLI_BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    started = time.monotonic()
    ran = config.polictl("run", "system.stubborn", "--args", "[30]", "--local")
    took = time.monotonic() - started
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "soft limit ignored" in ran.stdout
    assert ran.stderr.splitlines()[-1] == (
        "error: system.stubborn failed: TimeLimitExceeded('time limit (3s)')"
    )
    assert 3 <= took < 15, took  # the hard limit, not the handler's 30 s


def test_purge_all_asks_then_empties_every_queue(config: Stack, broker: redis.Redis) -> None:
    for name in ("reports.export", "alerts.cleanup", "system.ping"):
        kwargs = '{"kind": "records"}' if name == "reports.export" else "{}"
        assert polictl(config, "run", name, "--kwargs", kwargs).exit_code == 0
    declined = polictl(config, "purge", "--all", input="n\n")
    assert declined.exit_code == 1
    assert "Delete every message waiting in all 4 queues (default, alerts, reports, system)?" in (
        declined.stdout
    )
    assert _waiting(broker) == {"default": 0, "alerts": 1, "reports": 1, "system": 1}

    purged = polictl(config, "purge", "--all", "--yes")
    assert purged.exit_code == 0, purged.stderr
    assert purged.stdout.splitlines() == [
        "purged 0 message(s) from default",
        "purged 1 message(s) from alerts",
        "purged 1 message(s) from reports",
        "purged 1 message(s) from system",
    ]
    assert _waiting(broker) == dict.fromkeys(QUEUES, 0)
    both = polictl(config, "purge", "alerts", "--all")
    assert (both.exit_code, both.stderr.splitlines()[0]) == (2, "error: name a QUEUE or give --all")
