"""No way around the YAML: transport options reach the broker, Celery's own environment
variables are ignored (and named), and `none` turns the result backend off."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from celery.app.defaults import DEFAULTS
from celery_process import celery_env, celery_worker
from click.testing import CliRunner

from engine.config import load
from engine.diagnostics import format_text
from engine.runtime.app.build import build_app
from polictl.main import cli

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
ROOT = MINIMAL.parent.parent.parent
BROKER_LINES = "broker:\n  url: ${POLI_BROKER_URL}\n  result_backend: broker\n"


def config(tmp_path: Path, broker: str = BROKER_LINES) -> Path:
    """The minimal config with its `broker:` section replaced."""
    target = tmp_path / "config"
    shutil.copytree(MINIMAL, target, ignore=shutil.ignore_patterns("__pycache__"))
    queues = (MINIMAL / "queues.yaml").read_text()
    assert queues.startswith(BROKER_LINES)
    (target / "queues.yaml").write_text(broker + queues.removeprefix(BROKER_LINES))
    return target


def dead_url() -> str:
    """A Redis URL on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def built(config_dir: Path, **env: str):
    result = load(config_dir, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0", **env})
    assert result.platform is not None, result.diagnostics
    return result, build_app(result.platform)


# broker.transport_options


def test_transport_options_reach_the_broker_channel(tmp_path, redis_url):
    broker = (
        f"broker:\n  url: {redis_url}\n  result_backend: broker\n"
        "  transport_options: {visibility_timeout: 2h, max_connections: 5, socket_timeout: 7}\n"
    )
    result = load(config(tmp_path, broker))
    app = build_app(result.platform)
    options = {"visibility_timeout": 7200, "max_connections": 5, "socket_timeout": 7}
    sweep = result.platform.reliability.transport_options  # reliability's, under the declared
    assert app.conf.broker_transport_options == {**sweep, **options}
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        assert (channel.visibility_timeout, channel.max_connections) == (7200, 5)
    app.close()


def test_derived_visibility_timeout_stays_when_none_is_declared(tmp_path):
    broker = BROKER_LINES + "  transport_options: {max_connections: 3}\n"
    result, app = built(config(tmp_path, broker))
    derived = result.platform.reliability.transport_options  # visibility timeout and sweep
    assert app.conf.broker_transport_options == {**derived, "max_connections": 3}
    assert not result.diagnostics


def test_a_visibility_timeout_too_short_for_the_refresh_is_refused(tmp_path):
    broker = BROKER_LINES + "  transport_options: {max_connections: 5, visibility_timeout: 4}\n"
    result = load(config(tmp_path, broker), env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.platform is None
    assert format_text(result.diagnostics) == (
        "queues.yaml:4:63: error: broker.transport_options.visibility_timeout 4s is too short: "
        "live workers refresh what they hold every quarter of it and a failed refresh takes "
        "up to 2.5s, so a running task would be handed to another worker\n"
        "  hint: at least 5s, or remove it (poli derives 1m30s)\n"
        "1 error, 0 warnings"
    )


def test_an_amqp_broker_without_a_redis_for_poli_s_state_says_what_is_off(tmp_path):
    amqp = "broker:\n  url: amqp://guest@127.0.0.1:5672//\n  result_backend: none\n"
    result = load(config(tmp_path, amqp))
    assert format_text(result.diagnostics) == (
        "queues.yaml:2:8: warning: no Redis keeps poli's own state with a amqp:// broker: dead "
        "letters, poison-message counts and beat's lock are off (run exactly one beat)\n"
        "  hint: set broker.result_backend to a redis:// URL, or broker.state_url\n"
        "0 errors, 1 warning"
    )
    declared = amqp + "  state_url: redis://127.0.0.1:6379/3\n"
    result = load(config(tmp_path / "declared", declared))
    assert (result.diagnostics, result.platform.broker.state_store) == (
        [],
        "redis://127.0.0.1:6379/3",
    )


def test_a_declared_visibility_timeout_is_the_one_the_sweep_and_refresh_run_on(tmp_path):
    """Below a task's time limit is fine: live workers refresh on a quarter of it."""
    broker = BROKER_LINES + "  transport_options: {visibility_timeout: 20s}\n"
    result, app = built(config(tmp_path, broker))
    assert not result.diagnostics
    assert app.conf.broker_transport_options["visibility_timeout"] == 20
    assert (result.platform.visibility_timeout, result.platform.refresh_interval) == (20, 5)


# Celery's own environment variables


def test_a_real_worker_ignores_celery_broker_read_and_write_urls(tmp_path, redis_url, monkeypatch):
    """Celery reads and writes through these over broker_url; both point at a dead broker
    here, in the test process and the worker alike: the task runs on queues.yaml's."""
    dead = dead_url()
    variables = {"CELERY_BROKER_READ_URL": dead, "CELERY_BROKER_WRITE_URL": dead}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    _, app = built(MINIMAL, POLI_BROKER_URL=redis_url)
    assert (app.conf.broker_read_url, app.conf.broker_write_url) == (redis_url, redis_url)
    log = tmp_path / "worker.log"
    with celery_worker(app, MINIMAL, redis_url, ["default"], log, **variables):
        assert app.send_task("default.echo", args=["rw"]).get(timeout=30)["value"] == "rw"
    app.close()
    for name in variables:
        assert f"poli: {name} is set and ignored: the broker is broker.url in queues.yaml" in (
            log.read_text()
        )


def test_a_real_worker_ignores_celery_broker_url_and_says_so(tmp_path, redis_url, monkeypatch):
    dead = dead_url()
    monkeypatch.setenv("CELERY_BROKER_URL", dead)  # the in-process app ignores it too
    monkeypatch.setenv("CELERY_RESULT_BACKEND", dead)
    _, app = built(MINIMAL, POLI_BROKER_URL=redis_url)
    assert app.conf.broker_url == redis_url == app.conf.result_backend
    pidfile = tmp_path / "worker.pid"
    log = tmp_path / "worker.log"
    variables = {"CELERY_WORKER_PIDFILE": str(pidfile)}  # `celery worker --pidfile` from env
    with celery_worker(app, MINIMAL, redis_url, ["default"], log, **variables):
        assert app.send_task("default.echo", args=["hi"]).get(timeout=30)["value"] == "hi"
    text = log.read_text()
    for line in (
        "poli: CELERY_BROKER_URL is set and ignored: the broker is broker.url in queues.yaml",
        "poli: CELERY_RESULT_BACKEND is set and ignored: the result backend is "
        "broker.result_backend in queues.yaml",
        "poli: CELERY_WORKER_PIDFILE is set and ignored: worker options come from the worker "
        "groups in queues.yaml",
    ):
        assert line in text
    assert not pidfile.exists()
    assert dead.rsplit(":", 1)[1] not in text  # the dead port appears nowhere in the banner
    app.close()


def test_celery_config_module_and_loader_are_ignored(tmp_path, monkeypatch):
    (tmp_path / "sneaky_celeryconfig.py").write_text("task_always_eager = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CELERY_CONFIG_MODULE", "sneaky_celeryconfig")
    monkeypatch.setenv("CELERY_LOADER", "default")
    _, app = built(MINIMAL)
    assert app.conf.task_always_eager is False
    assert type(app.loader).__name__ == "YamlOnlyLoader"


def test_validate_names_each_variable_where_it_competes(monkeypatch):
    env = {
        "CELERY_BROKER_URL": "redis://localhost:6390/0",
        "CELERY_CONFIG_MODULE": "celeryconfig",
        "CELERY_WORKER_PREFETCH_MULTIPLIER": "4",
        "POLI_BROKER_URL": "redis://127.0.0.1:1/0",
        "CELERY_RESULT_BACKEND": "",  # empty: Celery ignores it as well, so no warning
    }
    result = CliRunner().invoke(cli, ["-C", str(MINIMAL), "validate"], env=env)
    assert result.exit_code == 0
    assert result.output == (
        "queues.yaml:1:1: warning: CELERY_CONFIG_MODULE is set and ignored: Celery's settings "
        "come from queues.yaml, tasks.yaml and schedules.yaml only\n"
        "  hint: unset it; poli reads its settings from the YAML files only\n"
        "queues.yaml:1:1: warning: CELERY_WORKER_PREFETCH_MULTIPLIER is set and ignored: worker "
        "options come from the worker groups in queues.yaml\n"
        "  hint: unset it; poli reads its settings from the YAML files only\n"
        "queues.yaml:2:8: warning: CELERY_BROKER_URL is set and ignored: the broker is "
        "broker.url in queues.yaml\n"
        "  hint: unset it; choose the broker with POLI_BROKER_URL or an overlay\n"
        "0 errors, 3 warnings\n"
    )


def test_a_variable_the_yaml_reads_is_not_called_ignored(tmp_path, redis_url):
    """`url: ${CELERY_BROKER_URL}` in queues.yaml: the variable is the config, not ignored,
    for validate and for a real worker's start-up log alike."""
    reads = config(tmp_path, "broker:\n  url: ${CELERY_BROKER_URL}\n  result_backend: broker\n")
    env = {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": "redis://h:1/0"}
    result = CliRunner().invoke(cli, ["-C", str(reads), "validate"], env=env)
    assert result.exit_code == 0, result.output
    assert "CELERY_BROKER_URL" not in result.output
    assert "CELERY_RESULT_BACKEND is set and ignored" in result.output
    environment = celery_env(reads, "unused", CELERY_BROKER_URL=redis_url)
    del environment["POLI_BROKER_URL"]
    code = "import engine.app as a; print(a._ignored, a.app.conf.broker_url)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"[] {redis_url}\n"


def test_status_names_an_ignored_variable(tmp_path, redis_url):
    env = celery_env(MINIMAL, redis_url, CELERY_BROKER_URL=dead_url())
    env["POLI_DATA_DIR"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(MINIMAL), "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "broker unreachable" not in out.stdout  # the YAML's broker, not the dead port
    broker_line = next(line for line in out.stdout.splitlines() if line.startswith("Broker"))
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    assert f"127.0.0.1:{port}/" in broker_line and broker_line.rstrip().endswith(" reachable")
    assert (
        "warning: CELERY_BROKER_URL is set and ignored: the broker is broker.url in queues.yaml"
        in out.stdout
    )


# result backend


def test_none_turns_results_off_in_the_repository_config():
    platform = load(ROOT, env={"POLI_RESULT_BACKEND": "none"}).platform
    assert platform.broker.result_backend is None
    app = build_app(platform)
    assert app.conf.result_backend is None
    app.close()
    default = load(ROOT, env={}).platform
    assert default.broker.result_backend == "broker"


def test_run_wait_says_there_is_no_result_backend(redis_url):
    env = {"POLI_RESULT_BACKEND": "none", "POLI_BROKER_URL": redis_url}
    result = CliRunner().invoke(cli, ["-C", str(ROOT), "run", "system.ping", "--wait"], env=env)
    assert result.exit_code == 1
    assert result.output == (
        "error: run --wait needs a result backend, and broker.result_backend is `none`\n"
        "  hint: set it to `broker` or a URL (queues.yaml reads it from POLI_RESULT_BACKEND)\n"
    )


def test_result_expires_is_declared_and_defaults_to_celerys_day(tmp_path):
    _, app = built(config(tmp_path, BROKER_LINES + "  result_expires: 1h30m\n"))
    assert app.conf.result_expires == 5400
    _, default = built(MINIMAL)
    assert DEFAULTS["result_expires"] == datetime.timedelta(days=1)
    assert default.conf.result_expires == DEFAULTS["result_expires"].total_seconds()


def test_docs_and_queues_yaml_agree_on_the_result_backend():
    line = next(
        line
        for line in (ROOT / "queues.yaml").read_text().splitlines()
        if "result_backend:" in line
    )
    value = line.split("result_backend:")[1].split("#")[0].strip()
    assert value == "${POLI_RESULT_BACKEND:-broker}"
    reference = (ROOT / "docs" / "configuration.md").read_text()
    assert f"result_backend: {value}" in reference
    assert "POLI_RESULT_BACKEND:-}" not in reference
    assert "`none`" in reference


@pytest.fixture(autouse=True)
def _no_inherited_celery_variables(monkeypatch):
    for name in list(os.environ):
        if name.startswith("CELERY_"):
            monkeypatch.delenv(name)
