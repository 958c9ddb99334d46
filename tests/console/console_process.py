"""A real `polictl console` for tests: a free port, a password, stopped afterwards."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery_process import celery_env, stop

USER, PASSWORD = "admin", "test-console-password"


@contextmanager
def console_server(config_dir: Path, broker_url: str, log: Path) -> Iterator[str]:
    """Yields the console's base URL once it answers /healthz."""
    from engine.runtime.embedded import free_port

    port = free_port()
    command = [sys.executable, "-m", "polictl", "-C", str(config_dir), "console"]
    command += ["--address", "127.0.0.1", "--port", str(port)]
    env = celery_env(config_dir, broker_url, POLI_WEB_USER=USER, POLI_WEB_PASSWORD=PASSWORD)
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the console did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield base
    finally:
        stop(process)
