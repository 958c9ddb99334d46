"""Beat lateness: how long after its due time each run of a 1 s schedule reaches Redis.

poli: two `celery -A engine.app beat` (one holds the lock, one stands by; the config
reload check runs every second) on one Redis db; plain: `celery -A plain_app beat`
(Celery's PersistentScheduler) on another, at the same time. A thread per db pops the
messages as they arrive. Due times: poli's messages carry `poli_due`; plain Celery's due
time is its own rule, the previous send plus the interval (`last_run_at + run_every`).

    python bench/beat_lateness.py [SECONDS]     # alone; `make bench` runs it as step 4
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))

from celery_process import celery_env, stop  # noqa: E402
from redis_server import RedisServer  # noqa: E402

CONFIG_DIR = BENCH.parent / "tests" / "configs" / "minimal"
QUEUE = "system"


def _collect(url: str, until: float, out: list[tuple[float, dict]]) -> None:
    import redis

    client = redis.Redis.from_url(url)
    while time.time() < until:
        popped = client.brpop([QUEUE], timeout=1)
        if popped:
            out.append((time.time(), json.loads(popped[1])))
    client.close()


def _beat(app: str, url: str, cwd: Path, schedule: Path, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", app, "beat", "--loglevel", "info"]
    env = celery_env(CONFIG_DIR, url, PYTHONPATH=f"{BENCH.parent}:{BENCH}")
    with open(log, "w") as out:
        return subprocess.Popen(
            [*command, "--schedule", str(schedule)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def lateness(arrivals: list[tuple[float, dict]], every: float = 1.0) -> list[float]:
    """Seconds from due to arrival; the first plain send has no due time to compare."""
    late, previous = [], None
    for at, message in arrivals:
        due = message["headers"].get("poli_due")
        if due is not None:
            from datetime import datetime

            late.append(at - datetime.fromisoformat(due).timestamp())
        elif previous is not None:
            late.append(at - (previous + every))
        previous = at
    return late


def bench_beat(redis_url: str, tmpdir: Path, seconds: float = 30) -> dict[str, list[float]]:
    urls = {"poli": f"{redis_url}/2", "plain": f"{redis_url}/3"}
    arrivals: dict[str, list[tuple[float, dict]]] = {"poli": [], "plain": []}
    warmup = 8.0  # both beats import and connect before anything counts
    until = time.time() + warmup + seconds
    with ExitStack() as stack:
        beats = [
            _beat("engine.app", urls["poli"], CONFIG_DIR, tmpdir / "poli-a", tmpdir / "a.log"),
            _beat("engine.app", urls["poli"], CONFIG_DIR, tmpdir / "poli-b", tmpdir / "b.log"),
            _beat("plain_app", urls["plain"], BENCH, tmpdir / "plain", tmpdir / "plain.log"),
        ]
        for process in beats:
            stack.callback(stop, process)
        threads = [
            threading.Thread(target=_collect, args=(urls[name], until, arrivals[name]))
            for name in urls
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    start = until - seconds
    return {
        name: lateness([(at, m) for at, m in got if at >= start - 1.5])[1:]
        for name, got in arrivals.items()
    }


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def late_cells(values: list[float]) -> str:
    if not values:
        return "no sends"
    return " / ".join(f"{v:.1f}" for v in percentiles(values))


def summary(values: list[float]) -> str:
    return f"p50 / p99 / max {late_cells(values)} ms ({len(values)} sends)"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="poli-beat-bench-") as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            result = bench_beat(server.url, Path(tmp), float(sys.argv[1:2] and sys.argv[1] or 30))
        finally:
            server.stop()
    for name, values in result.items():
        print(f"{name}: {summary(values)}")
