"""The validated-model cache: a start with nothing changed skips the YAML; any change to
what `load` reads (a file, an interpolated variable, a handler module) is seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
MINIMAL = ROOT / "tests" / "configs" / "minimal"
PROBE = (
    "import sys, json, engine.app as a; "
    "print(json.dumps({'yaml_read': 'engine.config.pipeline' in sys.modules, "
    "'time_limit': a.app.tasks['system.sleep'].time_limit, 'broker': a.app.conf.broker_url}))"
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(MINIMAL, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def start(config: Path, broker: str = "redis://127.0.0.1:1/0") -> subprocess.CompletedProcess:
    env = {**os.environ, "POLI_CONFIG_DIR": str(config), "POLI_BROKER_URL": broker}
    env["POLI_DATA_DIR"] = str(config / "data")
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=config, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def seen(config: Path, **kwargs: str) -> dict:
    done = start(config, **kwargs)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_start_uses_the_cache(config):
    assert seen(config)["yaml_read"] is True
    assert seen(config) == {"yaml_read": False, "time_limit": 3, "broker": "redis://127.0.0.1:1/0"}
    (entry,) = (config / "data" / "cache").iterdir()
    assert entry.stat().st_mode & 0o077 == 0


def test_an_edited_file_or_variable_is_read_again(config):
    seen(config)
    tasks = config / "tasks.yaml"
    tasks.write_text(tasks.read_text().replace("time_limit: 3s, soft_time_limit: 1s, retry: none}\n  system.limited", "time_limit: 4s, soft_time_limit: 1s, retry: none}\n  system.limited"))  # fmt: skip
    assert seen(config)["time_limit"] == 4
    assert seen(config, broker="redis://127.0.0.1:2/0") == {
        "yaml_read": True, "time_limit": 4, "broker": "redis://127.0.0.1:2/0",
    }  # fmt: skip


def test_a_changed_handler_module_is_checked_again(config):
    seen(config)
    handlers = config / "testhandlers.py"
    handlers.write_text(handlers.read_text().replace("def sleep(", "def renamed_sleep("))
    done = start(config)
    assert done.returncode == 1
    assert "module 'testhandlers' has no attribute 'sleep'" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_invalid_config_is_never_kept(config):
    queues = config / "queues.yaml"
    queues.write_text(queues.read_text().replace("concurrency: 1}", "concurrency: 0}", 1))
    assert start(config).returncode == 1
    assert not (config / "data" / "cache").exists()


def test_a_cache_file_others_could_write_is_ignored(config):
    seen(config)
    (entry,) = (config / "data" / "cache").iterdir()
    entry.chmod(0o666)
    assert seen(config)["yaml_read"] is True
