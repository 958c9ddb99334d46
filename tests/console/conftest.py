"""One console, one worker, one beat and ONE headless Chromium for the whole console test
session (starting a browser costs seconds): Debian's /usr/bin/chromium, never a download."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("POLI_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCHEDULES = """timezone: UTC
schedules:
  often-work: {task: default.work, every: 2s, args: [JOURNAL], description: Every two seconds}
  hourly-work: {task: default.work, cron: "0 * * * *", args: [JOURNAL]}
  nightly-work: {task: default.work, cron: "30 2 * * *", args: [JOURNAL], timezone: Europe/Madrid}
  clash-work: {task: default.work, cron: "0 */2 * * *", args: [JOURNAL], description: Collides with hourly-work}
  system-work: {task: system.work, cron: "15 8 * * mon-fri", args: [JOURNAL]}
"""


@pytest.fixture(scope="session")
def console_config(tmp_path_factory) -> Path:
    """tests/configs/reliability with a few schedules."""
    from reliability_process import CONFIG

    target = shutil.copytree(CONFIG, tmp_path_factory.mktemp("console") / "config")
    journal = str(target / "journal")
    (target / "schedules.yaml").write_text(SCHEDULES.replace("JOURNAL", journal))
    return target


@pytest.fixture(scope="session")
def console_broker(tmp_path_factory):
    """A redis-server of the console tests' own: their worker and beat run for a whole
    module, so they share no database with other tests."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("console-redis"))
    server.start()
    try:
        yield f"{server.url}/0"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright; skipped (with the reason) when not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
