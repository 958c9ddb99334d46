"""`make bench`, part 2: issue 15's targets, each a ratio from alternated rounds.

1. end to end: poli's app from the smallest config (one queue, one worker group of
   concurrency 2, one no-op task, poli's defaults) against Celery's first-steps app
   (`Celery("x", broker=URL)`, all defaults): N tasks sent with `apply_async` while a worker
   (same flags) runs them; tasks/s from the first send to the last task done. Also poli
   with worker task events on (what Flower switches on while it watches).
2. bulk: N sends with `engine.runtime.delivery.bulk.send_many` against a loop of `apply_async`.
3. config size: `load()` of 10 .. 10,000 tasks + as many schedules, in a fresh process:
   seconds, per-item cost, peak memory; and how fast a real alias bomb is refused.

Rounds alternate A/B (ABBA), the median and the spread are reported; the table is
printed and the JSON goes to bench/results/targets-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from redis_server import RedisServer  # noqa: E402 - tests/ is on the path just above

HANDLERS = '''import os
import redis

_client = None


def noop(i=None):
    """Counts itself done in the bench's Redis (db 15): how the bench sees the end."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_COUNTER_URL"])
    _client.incr("done")
'''
FIRST_STEPS = """import os
from celery import Celery
import benchtasks

app = Celery("x", broker=os.environ["POLI_BROKER_URL"])
app.task(name="noop")(benchtasks.noop)
"""
SMALLEST = {
    "queues.yaml": "broker: {url: '${POLI_BROKER_URL}'}\nqueues: {default: {}}\n"
    "workers: {default: {queues: [default], concurrency: 2}}\n",
    "tasks.yaml": 'tasks: {noop: {handler: "benchtasks:noop"}}\n',
    "schedules.yaml": "schedules: {}\n",
}


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def write_config(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in SMALLEST.items():
        (directory / name).write_text(text)
    (directory / "benchtasks.py").write_text(HANDLERS)
    (directory / "first_steps.py").write_text(FIRST_STEPS)
    return directory


def env_for(config: Path, broker: str, counter: str) -> dict[str, str]:
    env = {**os.environ, "POLI_CONFIG_DIR": str(config), "POLI_BROKER_URL": broker}
    env.update(BENCH_COUNTER_URL=counter, POLI_DATA_DIR=str(config / "data"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(config)])
    env.pop("POLI_ENVIRONMENT", None)
    return env


def app_in_process(module: str, env: dict[str, str]):
    """A fresh import of `module` (engine.app or first_steps) under `env`."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        for name in [m for m in sys.modules if m in (module, "engine.app")]:
            del sys.modules[name]
        if str(Path(env["POLI_CONFIG_DIR"])) not in sys.path:
            sys.path.insert(0, env["POLI_CONFIG_DIR"])
        return __import__(module, fromlist=["app"]).app
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def worker(app, module: str, env: dict[str, str], log: Path, *flags: str):
    node = f"bench-{uuid.uuid4().hex[:6]}@localhost"
    flags = ("--concurrency", "2", *flags)  # a later --concurrency (a profile's) wins
    command = [PY, "-m", "celery", "-A", module, "worker", "-n", node, *flags]
    command += ["--without-gossip", "--without-mingle", "--loglevel", "warning"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=env["POLI_CONFIG_DIR"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} worker did not start:\n{log.read_text()}")
        yield
    finally:
        process.terminate()
        process.wait(30)


def end_to_end(app, counter, n: int) -> tuple[float, float]:
    """(tasks/s end to end, tasks/s enqueued) for n no-op tasks."""
    task = app.tasks["noop"]
    counter.set("done", 0)
    start = time.perf_counter()
    for i in range(n):
        task.apply_async(args=[i])
    sent = time.perf_counter()
    deadline = start + 300
    while int(counter.get("done") or 0) < n:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {counter.get('done')} of {n} tasks ran")
        time.sleep(0.002)
    done = time.perf_counter()
    if int(counter.get("done")) != n:
        raise RuntimeError(f"{counter.get('done')} tasks ran for {n} sent")
    return n / (done - start), n / (sent - start)


def throughput_flags(config: Path) -> tuple[list[str], int]:
    """The worker flags and process count the `throughput` profile renders for the group."""
    from engine.config import load

    platform = load(config, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}).platform
    group = next(w for w in platform.workers if w.name == "default")
    args = ["--concurrency", str(group.concurrency), "--pool", group.pool]
    return [*args, "--prefetch-multiplier", str(group.prefetch_multiplier)], group.replicas


def drain(app, counter, n: int) -> float:
    """Tasks/s for n no-op tasks queued at once (`send_many`): what the workers can do."""
    from engine.runtime.delivery.bulk import send_many

    counter.set("done", 0)
    start = time.perf_counter()
    send_many(app, "noop", [[i] for i in range(n)])
    deadline = start + 300
    while int(counter.get("done") or 0) < n:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {counter.get('done')} of {n} tasks ran")
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    if int(counter.get("done")) != n:
        raise RuntimeError(f"{counter.get('done')} tasks ran for {n} sent")
    return n / elapsed


def bench_end_to_end(tmp: Path, redis_url: str, n: int, rounds: int) -> dict:
    import redis

    config = write_config(tmp / "smallest")
    fast = write_config(tmp / "throughput")
    (fast / "queues.yaml").write_text(SMALLEST["queues.yaml"].replace("concurrency: 2", "concurrency: 2, profile: throughput"))  # fmt: skip
    fast_flags, fast_processes = throughput_flags(fast)
    counter_url = f"{redis_url}/15"
    counter = redis.Redis.from_url(counter_url)
    cases = {  # name: (module, config, redis db, extra worker flags, worker processes)
        "celery defaults": ("first_steps", config, 1, [], 1),
        "poli defaults": ("engine.app", config, 2, [], 1),
        "poli + task events (Flower on)": ("engine.app", config, 3, ["--task-events"], 1),
        "poli profile: throughput": ("engine.app", fast, 5, fast_flags, fast_processes),
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    enqueue: dict[str, list[float]] = {name: [] for name in cases}
    drained: dict[str, list[float]] = {name: [] for name in cases}
    with ExitStack() as stack:
        apps = {}
        for name, (module, directory, db, flags, processes) in cases.items():
            env = env_for(directory, f"{redis_url}/{db}", counter_url)
            apps[name] = app_in_process(module, env)
            for number in range(processes):
                log = tmp / f"worker-{db}-{number}.log"
                stack.enter_context(worker(apps[name], module, env, log, *flags))
        for name in cases:
            end_to_end(apps[name], counter, 200)  # warm-up: pool processes, connections
        names = list(cases)
        for index in range(rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                rate, sent = end_to_end(apps[name], counter, n)
                rates[name].append(rate)
                enqueue[name].append(sent)
                drained[name].append(drain(apps[name], counter, 2 * n))
    return {"n": n, "rounds": rounds, "throughput_flags": fast_flags,
            "throughput_processes": fast_processes,
            "tasks_per_s": {k: stats(v) for k, v in rates.items()},
            "enqueued_per_s": {k: stats(v) for k, v in enqueue.items()},
            "drained_per_s": {k: stats(v) for k, v in drained.items()}}  # fmt: skip


def bench_bulk(tmp: Path, redis_url: str, n: int, rounds: int) -> dict:
    import redis

    from engine.runtime.delivery.bulk import send_many

    config = write_config(tmp / "bulk")
    broker = f"{redis_url}/4"
    app = app_in_process("engine.app", env_for(config, broker, f"{redis_url}/15"))
    client = redis.Redis.from_url(broker)
    task = app.tasks["noop"]

    def loop() -> float:
        start = time.perf_counter()
        for i in range(n):
            task.apply_async(args=[i])
        return time.perf_counter() - start

    def bulk() -> float:
        start = time.perf_counter()
        send_many(app, "noop", [[i] for i in range(n)])
        return time.perf_counter() - start

    times: dict[str, list[float]] = {"apply_async loop": [], "send_many": []}
    cases = {"apply_async loop": loop, "send_many": bulk}
    for index in range(rounds):
        for name in list(cases) if index % 2 == 0 else list(cases)[::-1]:
            client.delete("default")
            times[name].append(cases[name]())
            if client.llen("default") != n:
                raise RuntimeError(f"{name}: {client.llen('default')} messages queued for {n}")
    client.delete("default")
    return {"n": n, "rounds": rounds, "seconds": {k: stats(v) for k, v in times.items()}}


LOAD_PROBE = """
import json, sys, time, tracemalloc
from pathlib import Path
from engine.config import load
env = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}
warm = time.perf_counter()
load(Path(sys.argv[2]), env=env)  # imports, compiled schemas: what any config pays once
fixed = time.perf_counter() - warm
start, cpu = time.perf_counter(), time.process_time()
result = load(Path(sys.argv[1]), env=env)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
tracemalloc.start()
load(Path(sys.argv[1]), env=env)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"seconds": seconds, "cpu": cpu, "fixed": fixed, "ok": result.ok, "peak_kib": peak / 1024,
                  "first": [d.format() for d in result.diagnostics[:1]]}))
"""


def big_config(directory: Path, n: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchtasks.py").write_text(HANDLERS)
    (directory / "queues.yaml").write_text(
        "broker: {url: '${POLI_BROKER_URL}'}\nqueues: {default: {}, bulk: {}}\n"
        'routes:\n  - {match: "bulk.*", queue: bulk}\n'
        "workers: {default: {queues: [default, bulk], concurrency: 2}}\n"
    )
    tasks = ["defaults: {time_limit: 20s, soft_time_limit: 15s}", "tasks:"]
    tasks += [f'  bulk.t{i}: {{handler: "benchtasks:noop", time_limit: {30 + i % 50}s}}'
              for i in range(n)]  # fmt: skip
    schedules = ["schedules:"]
    schedules += [f'  s{i}: {{task: bulk.t{i}, cron: "{i % 60} {i % 24} * * mon", args: [{i}]}}'
                  if i % 2 else f"  s{i}: {{task: bulk.t{i}, every: {i % 300 + 1}s}}"
                  for i in range(n)]  # fmt: skip
    (directory / "tasks.yaml").write_text("\n".join(tasks) + "\n")
    (directory / "schedules.yaml").write_text("\n".join(schedules) + "\n")
    return directory


def load_once(config: Path, warm: Path) -> dict:
    """`load(config)` in a fresh process, after one of `warm` (the imports every run pays)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(config)])}
    done = subprocess.run([PY, "-c", LOAD_PROBE, str(config), str(warm)], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def bench_config_size(tmp: Path, sizes: list[int], rounds: int) -> dict:
    configs = {n: big_config(tmp / f"size-{n}", n) for n in sizes}
    warm = big_config(tmp / "warm-up", 2)  # a cron schedule with args: its checks import more
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for index in range(rounds):
        for n in sizes if index % 2 == 0 else sizes[::-1]:
            outcome = load_once(configs[n], warm)
            if not outcome["ok"]:
                raise RuntimeError(f"{n} tasks did not validate: {outcome['first']}")
            runs[n].append(outcome)
    bomb = tmp / "bomb"
    shutil_copy_config(configs[sizes[0]], bomb)
    (bomb / "schedules.yaml").write_text((ROOT / "tests/configs/bad/alias-bomb/schedules.yaml").read_text())  # fmt: skip
    bombs = [load_once(bomb, warm) for _ in range(rounds)]
    return {
        "rounds": rounds,
        "sizes": {str(n): {"seconds": stats([r["seconds"] for r in runs[n]]),
                           "cpu": stats([r["cpu"] for r in runs[n]]),
                           "per_item_us": 1e6 * statistics.median(r["cpu"] for r in runs[n]) / (2 * n),
                           "peak_kib": max(r["peak_kib"] for r in runs[n])} for n in sizes},
        "fixed_seconds": stats([r["fixed"] for n in sizes for r in runs[n]]),
        "alias_bomb": {"seconds": stats([b["seconds"] for b in bombs]), "refused": bombs[0]["first"]},
    }  # fmt: skip


def shutil_copy_config(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)


def table(results: dict) -> str:
    rows = [("Target", "poli (median)", "reference (median)", "ratio", "runs (spread)", "goal")]
    e2e = results["end_to_end"]
    rate, sent = e2e["tasks_per_s"], e2e["enqueued_per_s"]
    base, base_sent = rate["celery defaults"], sent["celery defaults"]
    for name, goal in (
        ("poli defaults", "≥ 1.00×"),
        ("poli + task events (Flower on)", "cost shown"),
        ("poli profile: throughput", "≥ 1.50×"),
    ):
        rows.append(
            (
                f"End to end, {e2e['n']} no-op tasks: {name} vs Celery's defaults (tasks/s)",
                f"{rate[name]['median']:.0f}",
                f"{base['median']:.0f}",
                f"{rate[name]['median'] / base['median']:.2f}×",
                f"{e2e['rounds']} ({rate[name]['min']:.0f}–{rate[name]['max']:.0f}; "
                f"{base['min']:.0f}–{base['max']:.0f})",
                goal,
            )
        )
        rows.append(
            (
                f"Enqueue rate in that run: {name} (msgs/s)",
                f"{sent[name]['median']:.0f}",
                f"{base_sent['median']:.0f}",
                f"{sent[name]['median'] / base_sent['median']:.2f}×",
                "",
                "",
            )
        )
    drained, base_drain = e2e["drained_per_s"], e2e["drained_per_s"]["celery defaults"]
    for name, goal in (("poli defaults", "≥ 1.00×"), ("poli profile: throughput", "≥ 1.50×")):
        rows.append(
            (
                f"Drain {2 * e2e['n']} tasks queued at once: {name} vs Celery's defaults (tasks/s)",
                f"{drained[name]['median']:.0f}",
                f"{base_drain['median']:.0f}",
                f"{drained[name]['median'] / base_drain['median']:.2f}×",
                f"{e2e['rounds']} ({drained[name]['min']:.0f}–{drained[name]['max']:.0f}; "
                f"{base_drain['min']:.0f}–{base_drain['max']:.0f})",
                goal,
            )
        )
    bulk = results["bulk"]
    loop, many = bulk["seconds"]["apply_async loop"], bulk["seconds"]["send_many"]
    rows.append(
        (
            f"Bulk: {bulk['n']} sends, `send_many` vs a loop of `apply_async` (s)",
            f"{many['median']:.2f}",
            f"{loop['median']:.2f}",
            f"{loop['median'] / many['median']:.1f}× faster",
            f"{bulk['rounds']} ({many['min']:.2f}–{many['max']:.2f}; "
            f"{loop['min']:.2f}–{loop['max']:.2f})",
            "≥ 5×",
        )
    )
    size = results["config_size"]
    for n, row in size["sizes"].items():
        rows.append(
            (
                f"Validate {n} tasks + {n} schedules: wall s (CPU s; CPU per item; peak memory)",
                f"{row['seconds']['median']:.3f} ({row['cpu']['median']:.3f} CPU)",
                "–",
                f"{row['per_item_us']:.0f} µs/item",
                f"{size['rounds']} "
                f"({row['seconds']['min']:.3f}–{row['seconds']['max']:.3f}); "
                f"peak {row['peak_kib'] / 1024:.1f} MiB",
                "< 2 s at 10000, linear",
            )
        )
    bomb = size["alias_bomb"]["seconds"]
    rows.append(("Alias bomb refused (s)", f"{bomb['median']:.3f}", "–", "–",
                 f"{size['rounds']} ({bomb['min']:.3f}–{bomb['max']:.3f})", "fast"))  # fmt: skip
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--e2e-n", type=int, default=1000)
    parser.add_argument("--e2e-rounds", type=int, default=4)
    parser.add_argument("--bulk-n", type=int, default=10000)
    parser.add_argument("--bulk-rounds", type=int, default=2)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--size-rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    results: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="poli-targets-") as name:
        tmp = Path(name)
        server = RedisServer(tmp / "redis")
        server.start()
        try:
            print(f"1/3 end to end: {args.e2e_n} tasks x {args.e2e_rounds} rounds ...", flush=True)
            results["end_to_end"] = bench_end_to_end(tmp, server.url, args.e2e_n, args.e2e_rounds)
            print(f"2/3 bulk: {args.bulk_n} sends x {args.bulk_rounds} rounds ...", flush=True)
            results["bulk"] = bench_bulk(tmp, server.url, args.bulk_n, args.bulk_rounds)
        finally:
            server.stop()
        sizes = [int(s) for s in args.sizes.split(",")]
        print(f"3/3 config size: {sizes} x {args.size_rounds} rounds ...", flush=True)
        results["config_size"] = bench_config_size(tmp, sizes, args.size_rounds)
    results["seconds"] = time.perf_counter() - began
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.output / f"targets-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\n{results['seconds']:.0f} s; JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
