"""`make bench`, part 2: a bounded load test of poli's delivery guarantees under kill -9.

N tasks (default 10,000) across the four queues of bench/load_config: 85% succeed, 10% fail
once with a retried error then succeed, 5% fail for good. Two workers (prefork, two pool
processes each) consume every queue. KILLS times (default 20), after some progress, the main
process of one of them (in turn, once it has run tasks since it started) is killed with -9,
the rest of its process group gets SIGTERM (what systemd does to a unit whose main process
died) and a replacement starts (systemd's Restart=). Run on Redis and on RabbitMQ (a vhost of
its own on 127.0.0.1:5672, deleted after; poli's state in a Redis result backend).

Each success increments a per-task-id counter in a Redis (`bench:done`), so completions are
counted by task id. A broker passes when succeeded + dead-lettered = N exactly, every dead
letter is a permanent failure, and none is lost. A task may complete twice: one a killed
worker's pool was running (or had finished, unacknowledged) runs again (at-least-once).
Figures go to bench/results/load-STAMP.json, and bench/LOAD.md is rendered from it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONFIG = BENCH / "load_config"
RESULTS = BENCH / "results"
QUEUES = ["default", "alerts", "reports", "system"]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from celery_process import celery_env  # noqa: E402 - tests/ is on the path just above
from redis_server import RedisServer  # noqa: E402

STALL = 30  # s with no progress: what is missing will not come back (redeliver_within 8 s)
WARM = 20  # tasks a worker has run since its start before it is killed (it is fetching)
RABBITMQCTL = "rabbitmqctl"
NOTE = (
    "Each kill -9 hits a worker's main process while the queues are full (all tasks are sent "
    "first), so the worker is fetching: **lost** must be 0. **completed twice**: a task a "
    "killed worker's pool process was running, or had finished but not yet acknowledged, is "
    "delivered again and runs again: at-least-once, never at-most-once (tasks must be "
    "idempotent). **dead-lettered** are the permanent failures (5% of the tasks), exactly."
)


def kind_of(index: int) -> str:
    slot = index % 20
    return "permanent" if slot == 0 else "transient" if slot in (1, 2) else "ok"


class Workers:
    """Two worker slots, each one process at a time; every process group is killed at exit."""

    def __init__(self, url: str, env: dict[str, str], logs: Path) -> None:
        self.url, self.env, self.logs = url, env, logs
        self.slots: dict[str, subprocess.Popen] = {}
        self.groups: list[int] = []

    def start(self, name: str) -> None:
        command = [sys.executable, "-m", "celery", "-A", "engine.app", "worker"]
        command += ["-n", f"{name}@load", "-Q", ",".join(QUEUES), "--concurrency", "2"]
        command += ["--loglevel", "warning", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat"]
        with open(self.logs / f"{name}.log", "a") as out:
            process = subprocess.Popen(
                command, cwd=CONFIG, env=celery_env(CONFIG, self.url, **self.env),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.slots[name] = process
        self.groups.append(process.pid)

    def kill(self, name: str) -> None:
        """kill -9 the main process, SIGTERM what is left of its group, start a new one."""
        process = self.slots[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        _signal_group(process.pid, signal.SIGTERM)
        self.start(name)

    def close(self) -> None:
        for process in self.slots.values():
            process.terminate()
        deadline = time.monotonic() + 30
        for process in self.slots.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for group in self.groups:
            _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


@contextmanager
def broker(kind: str, redis_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The broker's URL and the workers' extra environment; a RabbitMQ vhost is deleted after."""
    if kind == "redis":
        yield redis_url, {"BENCH_COUNTS_URL": redis_url}
        return
    if subprocess.run([RABBITMQCTL, "status"], capture_output=True, timeout=30).returncode:
        subprocess.run(["rabbitmq-server", "-detached"], check=False, timeout=30)  # as .ci/run
        _rabbitmqctl("await_startup", "--timeout", "60")
    vhost = f"poli-load-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        env = {"BENCH_COUNTS_URL": redis_url, "POLI_LOAD_RESULTS": redis_url}
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}", env
    finally:
        subprocess.run([RABBITMQCTL, "delete_vhost", vhost], capture_output=True, timeout=60)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run([RABBITMQCTL, *args], capture_output=True, check=True, timeout=90)


def counts(client) -> tuple[int, int, dict[str, int]]:
    done = {k.decode(): int(v) for k, v in client.hgetall("bench:done").items()}
    return len(done), int(client.zcard("poli:dead:index")), done


def accounted(client) -> int:
    return sum(counts(client)[:2])


def run(kind: str, total: int, kills: int, timeout: float, work: Path) -> dict[str, object]:
    import redis

    from engine.config import load
    from engine.runtime.app.build import build_app

    server = RedisServer(work / "redis")
    server.start()
    redis_url = f"{server.url}/0"
    client = redis.Redis.from_url(redis_url)
    figures: dict[str, object] = {"broker": kind, "tasks": total, "kills": 0}
    try:
        with broker(kind, redis_url) as (url, env):
            loaded = load(CONFIG, env={"POLI_BROKER_URL": url, **env})
            assert loaded.platform is not None, loaded.diagnostics
            app = build_app(loaded.platform)
            workers = Workers(url, env, work)
            try:
                workers.start("one")
                workers.start("two")
                started = time.monotonic()
                kinds = {}
                for index in range(total):
                    task, queue = f"{QUEUES[index % 4]}.work", QUEUES[index % 4]
                    kinds[app.send_task(task, args=[kind_of(index)], queue=queue).id] = kind_of(
                        index
                    )
                figures["sent in s"] = round(time.monotonic() - started, 1)
                killed_at = kill_in_turn(client, workers, total, kills, started + timeout)
                figures["kills"] = len(killed_at)
                figures["accounted at each kill"] = ", ".join(map(str, killed_at))
                last_kill = time.monotonic()
                finished = wait_for_all(client, total, started + timeout)
                time.sleep(3)  # a late duplicate would land now
            finally:
                workers.close()
                app.close()
        succeeded, dead, done = counts(client)
        dead_ids = {i.decode() for i in client.zrange("poli:dead:index", 0, -1)}
        missing = sorted(set(kinds) - set(done) - dead_ids)
        records = client.hvals("unacked")  # a Redis broker's (the bench's Redis is the broker)
        late = sum(any(i.encode() in record for record in records) for i in missing)
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
            "unaccounted task ids": ", ".join(f"{i} ({kinds[i]})" for i in missing[:5]) or "none",
            "unaccounted but recorded as unacked (late, not lost)": late,
            "total time s": round(finished - started, 1),
            "tasks/s": round(total / (finished - started), 1),
            "last kill to last task s": round(finished - last_kill, 1),
        }
    )
    return figures


def kill_in_turn(client, workers: Workers, total: int, kills: int, deadline: float) -> list[int]:
    """Kill the workers in turn, each once it has run WARM tasks since it started and the
    whole run has moved on by a share of the tasks; what was accounted at each kill."""
    step = total // (kills + 5)  # the last kill lands with a sixth of the tasks to go
    killed_at: list[int] = []
    while len(killed_at) < kills and time.monotonic() < deadline:
        name = ("one", "two")[len(killed_at) % 2]
        pid = str(workers.slots[name].pid)
        ready = accounted(client) >= step * (len(killed_at) + 1)
        if ready and int(client.hget("bench:by_worker", pid) or 0) >= WARM:
            workers.kill(name)
            killed_at.append(accounted(client))
        time.sleep(0.05)
    return killed_at


def wait_for_all(client, total: int, deadline: float) -> float:
    progress, moved = -1, time.monotonic()
    while (now := accounted(client)) < total and time.monotonic() < deadline:
        if now != progress:
            progress, moved = now, time.monotonic()
        if time.monotonic() - moved > STALL:
            break
        time.sleep(0.2)
    return time.monotonic()


def markdown(results: dict[str, object]) -> str:
    """bench/LOAD.md from a results file: one column per broker."""
    runs: list[dict[str, object]] = results["runs"]  # type: ignore[assignment]
    lines = [f"# Load test ({results['started']}, nproc {results['nproc']})", "", NOTE, ""]
    lines += ["| figure | " + " | ".join(str(r["broker"]) for r in runs) + " |"]
    lines += ["|---|" + "---|" * len(runs)]
    for name in [k for k in runs[0] if k != "broker"]:
        lines += [f"| {name} | " + " | ".join(str(r.get(name, "")) for r in runs) + " |"]
    return "\n".join(lines) + "\n"


def newest(results: Path = RESULTS) -> Path:
    return sorted(results.glob("load-*.json"))[-1]  # names are UTC stamps: sorted = by time


def passed(figures: dict[str, object], kills: int) -> bool:
    return (
        figures["lost"] == 0
        and figures["dead letters not permanent failures"] == 0
        and figures["succeeded + dead-lettered"] == figures["tasks"]
        and figures["kills"] == kills
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--broker", choices=["redis", "amqp", "both"], default="both")
    parser.add_argument("--timeout", type=float, default=900, help="seconds, per broker")
    parser.add_argument("--render", action="store_true", help="only write LOAD.md again")
    options = parser.parse_args()
    if not options.render:
        stamp = datetime.now(UTC)
        kinds = ["redis", "amqp"] if options.broker == "both" else [options.broker]
        runs = []
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix="poli-load-") as tmp:
                runs.append(run(kind, options.tasks, options.kills, options.timeout, Path(tmp)))
            print(json.dumps(runs[-1], indent=1), flush=True)
        results = {"started": stamp.strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count()}
        path = RESULTS / f"load-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
        path.write_text(json.dumps({**results, "runs": runs}, indent=1) + "\n")
    results = json.loads(newest().read_text())
    (BENCH / "LOAD.md").write_text(markdown(results))
    print(markdown(results))
    return 0 if all(passed(r, options.kills) for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
