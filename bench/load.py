"""`make bench`, part 2: a bounded load test of poli's delivery guarantees.

N tasks (default 10,000) across the four queues of bench/load_config: 85% succeed, 10%
fail once with a retried error then succeed, 5% fail for good. Two workers (prefork, two
pool processes each) consume every queue; once a third of the tasks are done, one worker's
main process is killed with -9 and a replacement started (as systemd's Restart= would).

Each success increments a per-task-id counter in Redis (`bench:done`), so completions are
counted by task id. The run passes when succeeded + dead-lettered = N exactly, every
dead letter is a permanent failure, and no task completed twice except those the killed
worker held. Figures go to stdout and bench/LOAD.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONFIG = BENCH / "load_config"
QUEUES = ["default", "alerts", "reports", "system"]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from celery_process import celery_env, stop  # noqa: E402 - tests/ is on the path just above
from redis_server import RedisServer  # noqa: E402

STALL = 60  # s; bench/load_config's reliability.redeliver_within is 20 s


def kind_of(index: int) -> str:
    slot = index % 20
    return "permanent" if slot == 0 else "transient" if slot in (1, 2) else "ok"


@contextmanager
def worker(url: str, name: str, log: Path):
    command = [sys.executable, "-m", "celery", "-A", "engine.app", "worker", "-n", f"{name}@load"]
    command += ["-Q", ",".join(QUEUES), "--concurrency", "2", "--loglevel", "warning"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, cwd=CONFIG, env=celery_env(CONFIG, url), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        stop(process, timeout=60)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def counts(client) -> tuple[int, int, dict[str, int]]:
    done = {k.decode(): int(v) for k, v in client.hgetall("bench:done").items()}
    return len(done), int(client.zcard("poli:dead:index")), done


def run(total: int, timeout: float, work: Path) -> dict[str, object]:
    import redis

    from engine.config import load
    from engine.runtime.app.build import build_app

    server = RedisServer(work / "redis")
    server.start()
    url = f"{server.url}/0"
    client = redis.Redis.from_url(url)
    app = build_app(load(CONFIG, env={"POLI_BROKER_URL": url}).platform)
    figures: dict[str, object] = {"tasks": total}
    try:
        with ExitStack() as stack:
            victim = stack.enter_context(worker(url, "one", work / "one.log"))
            stack.enter_context(worker(url, "two", work / "two.log"))
            started = time.monotonic()
            kinds = {}
            for index in range(total):
                kind = kind_of(index)
                queue = QUEUES[index % len(QUEUES)]
                kinds[app.send_task(f"{queue}.work", args=[kind], queue=queue).id] = kind
            figures["sent in s"] = round(time.monotonic() - started, 1)
            while sum(counts(client)[:2]) < total // 3 and time.monotonic() - started < timeout:
                time.sleep(0.2)
            os.kill(victim.pid, signal.SIGKILL)
            killed = time.monotonic()
            figures["killed at (done)"] = sum(counts(client)[:2])
            stack.enter_context(worker(url, "three", work / "three.log"))
            progress, moved = 0, time.monotonic()
            while (accounted := sum(counts(client)[:2])) < total:
                if accounted != progress:
                    progress, moved = accounted, time.monotonic()
                # nothing more for 3 x redeliver_within: what is missing will not come back
                if time.monotonic() - moved > STALL or time.monotonic() - started > timeout:
                    break
                time.sleep(0.5)
            finished = time.monotonic()
            time.sleep(3)  # a late duplicate would land now
        succeeded, dead, done = counts(client)
        dead_ids = {i.decode() for i in client.zrange("poli:dead:index", 0, -1)}
        missing = sorted(set(kinds) - set(done) - dead_ids)
        figures["unaccounted task ids"] = (
            ", ".join(f"{i} ({kinds[i]})" for i in missing[:5]) or "none"
        )
    finally:
        server.stop()
    figures.update(
        {
            "succeeded": succeeded,
            "dead-lettered": dead,
            "succeeded + dead-lettered": succeeded + dead,
            "expected successes": sum(k != "permanent" for k in kinds.values()),
            "dead letters not permanent failures": sum(
                kinds.get(i) != "permanent" for i in dead_ids
            ),
            "completed twice": sum(n > 1 for n in done.values()),
            "lost": total - succeeded - dead,
            "total time s": round(finished - started, 1),
            "tasks/s": round(total / (finished - started), 1),
            "kill to last task s": round(finished - killed, 1),
        }
    )
    return figures


def report(figures: dict[str, object]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Load test ({stamp}, nproc {os.cpu_count()})",
        "",
        "| figure | value |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in figures.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=900, help="seconds, the bound")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="poli-load-") as tmp:
        figures = run(options.tasks, options.timeout, Path(tmp))
    text = report(figures)
    print(text)
    (BENCH / "LOAD.md").write_text(text)
    ok = figures["lost"] == 0 and figures["dead letters not permanent failures"] == 0
    return 0 if ok and figures["succeeded + dead-lettered"] == options.tasks else 1


if __name__ == "__main__":
    sys.exit(main())
