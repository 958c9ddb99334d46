"""The console's page loads with 1,000 schedules and 10,000 dead letters (issue: under 1 s).

A config with 1,000 cron schedules over the demo's tasks, a redis-server of its own with
10,000 dead letters and a run record per schedule, then each page fetched through the
console's WSGI app (Flask's test client: the login, the collectors, the templates; no
network). Writes bench/CONSOLE.md, which docs/console.md includes. Not a timed test:
`python bench/console.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

SCHEDULES, LETTERS, LOADS = 1000, 10_000, 5
PAGES = ["/schedules", "/calendar?view=day", "/calendar", "/dead", "/dead?task=alerts.process"]


def write_config(target: Path) -> None:
    for name in ("queues.yaml", "tasks.yaml"):
        shutil.copy(ROOT / name, target / name)
    tasks = ["alerts.process", "system.health_check", "system.cleanup_logs"]
    zones = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
    lines = ["timezone: UTC", "schedules:"]
    for n in range(SCHEDULES):  # few shared timings: each a calendar of its own to compute
        cron = f"{n % 60} {(n // 60) % 24} * * *" if n % 3 else f"{n % 60} * * * *"
        task, zone = tasks[n % len(tasks)], zones[n % len(zones)]
        lines.append(f"  bench-{n:04d}: {{task: {task}, cron: '{cron}', timezone: {zone}}}")
    (target / "schedules.yaml").write_text("\n".join(lines) + "\n")


def fill(platform, url: str) -> None:
    import redis

    from engine.runtime.beat.runs import finished, started
    from engine.runtime.delivery.deadletter import DeadLetter, DeadLetterStore

    client = redis.Redis.from_url(url)
    store = DeadLetterStore(client, keep_seconds=30 * 86400, max_entries=LETTERS)
    pipe, now = client.pipeline(), time.time()
    for n in range(LETTERS):
        task = ["alerts.process", "reports.export"][n % 2]
        letter = DeadLetter(f"letter-{n:05d}", task, "default", [n], {}, "ValueError: x",
                            "Traceback (most recent call last):\n  ...\nValueError: x\n",
                            "retries exhausted", 4, now - n)  # fmt: skip
        pipe.hset("poli:dead:records", letter.id, letter.to_json())
        pipe.hset("poli:dead:tasks", letter.id, task)
        pipe.zadd("poli:dead:index", {letter.id: letter.failed_at})
    pipe.execute()
    assert len(store.counts()) == 2
    for schedule in platform.schedules:
        started(client, schedule.name, "2026-01-01T00:00:00+00:00", "id", now - 5)
        finished(client, schedule.name, "success", now)


def measure(client, headers: dict[str, str]) -> dict[str, float]:
    timings = {}
    for page in PAGES:
        runs = []
        for _ in range(LOADS):
            start = time.perf_counter()
            answer = client.get(page, headers=headers)
            runs.append(time.perf_counter() - start)
            assert answer.status_code == 200, (page, answer.get_data(as_text=True)[:500])
        timings[page] = statistics.median(runs)
    return timings


def main() -> None:
    from engine.config import load
    from engine.runtime.embedded import free_port
    from polictl.console.app import create_app
    from polictl.console.auth import Login

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            url = f"redis://127.0.0.1:{port}/0"
            config = Path(tmp) / "config"
            config.mkdir()
            write_config(config)
            result = load(config, env={"POLI_BROKER_URL": url})
            assert result.platform is not None, result.diagnostics[:3]
            fill(result.platform, url)
            app = create_app(lambda: result.platform, lambda: result.documents, Login("a", "b"))
            headers = {"Authorization": "Basic " + b64encode(b"a:b").decode()}
            timings = measure(app.test_client(), headers)
        finally:
            server.terminate()
            server.wait()
    write(timings)


def write(timings: dict[str, float]) -> None:
    rows = [f"| `{page}` | {seconds * 1000:.0f} ms |" for page, seconds in timings.items()]
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            f"Page loads with {SCHEDULES:,} schedules and {LETTERS:,} dead letters (median of "
            f"{LOADS}, written by `python bench/console.py`; {os.cpu_count()} cores, load "
            f"average {load:.1f} while it ran):",
            "",
            "| page | load |",
            "|---|---|",
            *rows,
            "",
        ]
    )
    (BENCH / "CONSOLE.md").write_text(text)
    print(text)
    print(json.dumps({k: round(v, 4) for k, v in timings.items()}))


if __name__ == "__main__":
    main()
