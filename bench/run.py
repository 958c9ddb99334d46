"""`make bench`: poli against a hand-written plain Celery app, as ratios.

Both sides run in the same process tree, on the same machine, against one real
redis-server this script starts on a free port (never the machine's Redis):

1. cold start: a fresh `python -c "import engine.app"` vs `python -c "import plain_app"`;
   `polictl validate` and `polictl --help` against `python -c "import celery"`;
2. dispatch: `apply_async` of N messages to Redis, in-process, poli app vs plain app;
3. round trip: a real worker (`celery -A engine.app|plain_app worker`, same options),
   N echo tasks sent and every result collected: tasks/second;
4. beat lateness (bench/beat_lateness.py): a 1 s schedule, due time to message in Redis,
   poli's beat (two of them: lock and reload on) beside plain Celery beat, at the same time.

Repetitions are interleaved (poli, plain, poli, ...) so drift hits both sides alike.
The table is printed and written to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform as pyplatform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONFIG_DIR = ROOT / "tests" / "configs" / "minimal"
POLICTL = Path(sys.executable).with_name("polictl")
PY = sys.executable

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

from beat_lateness import bench_beat, late_cells  # noqa: E402 - bench/ is on the path
from celery_process import stop  # noqa: E402 - tests/ is on the path just above
from redis_server import RedisServer  # noqa: E402

ECHO = "system.echo"
NO_CACHE = "import os; os.environ['POLI_DATA_DIR'] = '/proc/poli-no-cache'; import engine.app"
QUEUE = "system"


# --- helpers -------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], digits: int = 3) -> str:
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def child_env(broker_url: str) -> dict[str, str]:
    env = {**os.environ, "POLI_CONFIG_DIR": str(CONFIG_DIR), "POLI_BROKER_URL": broker_url}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(BENCH)])
    env.pop("POLI_ENVIRONMENT", None)
    # Bytecode for both sides, as an installed app has it: Celery's was compiled by pip, and
    # poli's and plain_app's are written by the first (untimed) run of each command.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """The CPU seconds (user + system) `command` took: on a shared machine its wall time
    is mostly the neighbours' load, its CPU time is its own work."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited {done.returncode}:\n{done.stderr.decode()}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(runs: int, cases: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """One untimed warm-up each (pyc caches, connections), then `runs` rounds in turn."""
    for measure in cases.values():
        measure()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, measure in cases.items():
            results[name].append(measure())
    return results


def purge(app) -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete(*[q.name for q in app.conf.task_queues])


# --- parity: the baseline must really be the same app -------------------------------

TASK_ATTRS = ("queue", "time_limit", "soft_time_limit", "rate_limit", "acks_late",
              "ignore_result", "max_retries", "autoretry_for", "retry_backoff",
              "retry_backoff_max", "retry_jitter", "default_retry_delay", "typing",
              "track_started")  # fmt: skip
CONF_KEYS = ("broker_connection_retry_on_startup", "broker_transport",
             "broker_transport_options", "result_backend_transport_options", "result_expires",
             "task_default_queue", "task_create_missing_queues", "task_routes",
             "task_serializer", "result_serializer", "accept_content", "task_track_started",
             "task_send_sent_event", "worker_send_task_events", "worker_prefetch_multiplier",
             "worker_disable_rate_limits",
             "timezone", "enable_utc")  # fmt: skip


def parity(poli, plain) -> list[str]:
    """Differences between the poli-built app and the hand-written one (empty: equal)."""
    problems = []
    for app in (poli, plain):  # the URLs differ (one Redis db each); their shape must not
        if app.conf.result_backend != app.conf.broker_url:
            problems.append(f"{app.main}: result_backend {app.conf.result_backend!r} is not "
                            f"the broker {app.conf.broker_url!r}")  # fmt: skip
    for key in CONF_KEYS:
        if poli.conf[key] != plain.conf[key]:
            problems.append(f"conf {key}: poli={poli.conf[key]!r} plain={plain.conf[key]!r}")

    def queues(app):
        return [(q.name, q.exchange.name, q.exchange.type, q.routing_key)
                for q in app.conf.task_queues]  # fmt: skip

    if queues(poli) != queues(plain):
        problems.append(f"task_queues: poli={queues(poli)} plain={queues(plain)}")

    def beat(app):
        return {name: (e["task"], list(e["args"]), e["kwargs"], e["options"])
                for name, e in app.conf.beat_schedule.items()}  # fmt: skip

    if beat(poli) != beat(plain):
        problems.append(f"beat_schedule: poli={beat(poli)} plain={beat(plain)}")
    names = {n for n in poli.tasks if not n.startswith("celery.")}
    plain_names = {n for n in plain.tasks if not n.startswith("celery.")}
    if names != plain_names:
        problems.append(f"tasks: only poli {names - plain_names}, only plain {plain_names - names}")
    for name in sorted(names & plain_names):
        a, b = poli.tasks[name], plain.tasks[name]
        if a.__wrapped__ is not b.__wrapped__:
            problems.append(f"{name}: handler {a.__wrapped__} vs {b.__wrapped__}")
        for attr in TASK_ATTRS:
            if getattr(a, attr, None) != getattr(b, attr, None):
                problems.append(f"{name}.{attr}: poli={getattr(a, attr, None)!r} "
                                f"plain={getattr(b, attr, None)!r}")  # fmt: skip
    return problems


# --- 1. cold start -------------------------------------------------------------------


def failure(command: list[str], env: dict[str, str], cwd: Path) -> str | None:
    """Why `command` fails (its last stderr line), or None when it exits 0."""
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=60)
    if done.returncode == 0:
        return None
    lines = done.stderr.decode(errors="replace").strip().splitlines() or ["(no stderr)"]
    return f"exit {done.returncode}: {lines[-1]}"


def bench_cold_start(
    broker_url: str, runs: int, cwd: Path
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Times per command; a command that fails is reported (second dict), not timed."""
    env = child_env(broker_url)
    commands = {
        "import engine.app": [PY, "-c", "import engine.app"],
        # /proc refuses the cache directory: every start reads and checks the YAML
        "import engine.app, no cache": [PY, "-c", NO_CACHE],
        "import plain_app": [PY, "-c", "import plain_app"],
        "polictl validate": [str(POLICTL), "-C", str(CONFIG_DIR), "validate"],
        "polictl --help": [str(POLICTL), "--help"],
        "import celery": [PY, "-c", "import celery"],
        "python -c pass": [PY, "-c", "pass"],
    }
    failed = {
        name: why for name, command in commands.items() if (why := failure(command, env, cwd))
    }
    for name, why in failed.items():
        print(f"    FAILED {name}: {why}", file=sys.stderr)
    cases = {
        name: (lambda command=command: wall(command, env, cwd))
        for name, command in commands.items()
        if name not in failed
    }
    return interleaved(runs, cases), failed


# --- 2. dispatch ---------------------------------------------------------------------


def send_chunk(app, first: int, count: int, keep: list) -> float:
    task = app.tasks[ECHO]
    start = time.perf_counter()
    keep.extend(task.apply_async(args=[i]) for i in range(first, first + count))
    return time.perf_counter() - start


def dispatch_run(apps: dict[str, object], n: int, chunk: int) -> dict[str, float]:
    """N messages from each app, sent in alternating chunks (ABBA) so that load from
    anything else on the machine falls on both sides alike; per-app sums of chunk times."""
    totals = dict.fromkeys(apps, 0.0)
    kept: dict[str, list] = {name: [] for name in apps}
    names = list(apps)
    for number, first in enumerate(range(0, n, chunk)):
        for name in names if number % 2 == 0 else reversed(names):
            totals[name] += send_chunk(apps[name], first, min(chunk, n - first), kept[name])
    del kept  # AsyncResult.__del__ unsubscribes from the result channels: untimed
    gc.collect()
    for app in apps.values():
        purge(app)
    return totals


def bench_dispatch(
    apps: dict[str, object], n: int, runs: int, chunk: int = 100
) -> dict[str, list[float]]:
    for app in apps.values():
        purge(app)
    dispatch_run(apps, chunk, chunk)  # warm-up: connections, pubsub
    results: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(runs):
        for name, seconds in dispatch_run(apps, n, chunk).items():
            results[name].append(seconds)
    return results


# --- 3. round trip through a real worker --------------------------------------------


@contextmanager
def worker(app, module: str, broker_url: str, concurrency: int, log: Path) -> Iterator[float]:
    """`celery -A module worker` on the echo queue; yields seconds until it answered a ping."""
    node = f"bench-{module.replace('.', '-')}-{uuid.uuid4().hex[:6]}@localhost"
    command = [PY, "-m", "celery", "-A", module, "worker", "-n", node, "-Q", QUEUE]
    command += ["--concurrency", str(concurrency), "--loglevel", "warning"]
    command += ["--without-gossip", "--without-mingle"]
    cwd = CONFIG_DIR if module == "engine.app" else BENCH
    start = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=child_env(broker_url), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[node], timeout=0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} worker did not start:\n{log.read_text()}")
        yield time.perf_counter() - start
    finally:
        stop(process)


def round_trip(app, n: int, timeout: float = 60) -> float:
    from celery.result import ResultSet

    task = app.tasks[ECHO]
    start = time.perf_counter()
    results = ResultSet([task.apply_async(args=[i]) for i in range(n)], app=app)
    values = results.get(timeout=timeout)
    elapsed = time.perf_counter() - start
    wrong = [v for i, v in enumerate(values) if v["value"] != i or v["queue"] != QUEUE]
    if wrong:
        raise RuntimeError(f"{len(wrong)} wrong results, e.g. {wrong[0]}")
    del results, values
    gc.collect()
    return elapsed


def bench_round_trip(
    apps: dict[str, object], modules: dict[str, str], urls: dict[str, str], n: int, reps: int,
    concurrency: int, logs: Path,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:  # fmt: skip
    """Both workers up at once (each app on its own Redis db, so each worker sees only its
    own app's messages), batches alternating ABBA so machine load hits both alike; two
    sessions, each with fresh workers started in opposite order, `reps` batches per app."""
    names = list(apps)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    startup: dict[str, list[float]] = {name: [] for name in names}
    for session, order in enumerate([names, names[::-1]]):
        with ExitStack() as stack:
            for name in order:
                purge(apps[name])
                log = logs / f"worker-{name}-{session}.log"
                ready = stack.enter_context(
                    worker(apps[name], modules[name], urls[name], concurrency, log)
                )
                startup[name].append(ready)
            for name in order:
                round_trip(apps[name], 20)  # warm-up: pool processes, connections
            for rep in range(reps):
                for name in order if rep % 2 == 0 else order[::-1]:
                    seconds[name].append(round_trip(apps[name], n))
    return seconds, startup


# --- report --------------------------------------------------------------------------


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    header = ("Benchmark", "poli (median)", "plain / reference (median)", "ratio poli/plain",
              "runs (spread poli; other)")  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    import celery
    import kombu
    import redis

    return (f"nproc {os.cpu_count()}, Python {pyplatform.python_version()}, "
            f"Celery {celery.__version__}, kombu {kombu.__version__}, redis-py {redis.__version__}, "
            f"{pyplatform.system()} {pyplatform.release()} {pyplatform.machine()}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--dispatch-n", type=int, default=2000)
    parser.add_argument("--dispatch-runs", type=int, default=5)
    parser.add_argument("--roundtrip-n", type=int, default=300)
    parser.add_argument("--roundtrip-reps", type=int, default=4, help="per session (x2)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--beat-seconds", type=float, default=30)
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="poli-bench-") as tmp:
        tmpdir = Path(tmp)
        redis = RedisServer(tmpdir / "redis")
        redis.start()
        try:
            os.environ["POLI_BROKER_URL"] = redis.url
            os.environ["POLI_CONFIG_DIR"] = str(CONFIG_DIR)
            os.environ["POLI_DATA_DIR"] = str(tmpdir / "data")  # the model cache lives here
            os.environ.pop("POLI_ENVIRONMENT", None)
            print(f"redis-server on {redis.url}; {machine()}", flush=True)

            print(f"1/4 cold start: {args.cold_runs} runs each ...", flush=True)
            cold, failed = bench_cold_start(redis.url, args.cold_runs, tmpdir)

            # one Redis db per app: in the round trip both workers run side by side
            urls = {"poli": f"{redis.url}/0", "plain": f"{redis.url}/1"}
            os.environ["POLI_BROKER_URL"] = urls["poli"]
            import engine.app

            os.environ["POLI_BROKER_URL"] = urls["plain"]
            import plain_app

            apps = {"poli": engine.app.app, "plain": plain_app.app}
            modules = {"poli": "engine.app", "plain": "plain_app"}
            problems = parity(apps["poli"], apps["plain"])
            for problem in problems:
                print(f"PARITY: {problem}", file=sys.stderr)
            if problems:  # the ratios would compare different settings: measure nothing
                print("bench/plain_app.py no longer matches the poli-built app", file=sys.stderr)
                return 1
            print(f"    parity: {'OK' if not problems else f'{len(problems)} differences'}")

            print(f"2/4 dispatch: {args.dispatch_n} x apply_async, "
                  f"{args.dispatch_runs} runs each ...", flush=True)  # fmt: skip
            dispatch = bench_dispatch(apps, args.dispatch_n, args.dispatch_runs)

            print(f"3/4 round trip: {args.roundtrip_n} echo tasks, "
                  f"{2 * args.roundtrip_reps} runs each ...", flush=True)  # fmt: skip
            trip, startup = bench_round_trip(apps, modules, urls, args.roundtrip_n,
                                             args.roundtrip_reps, args.concurrency, tmpdir)  # fmt: skip
            for app in apps.values():
                app.close()

            print(f"4/4 beat lateness: a 1 s schedule for {args.beat_seconds:g} s ...", flush=True)
            late = bench_beat(redis.url, tmpdir, args.beat_seconds)
        finally:
            redis.stop()
    total = time.perf_counter() - began

    def ms(values: list[float]) -> str:
        return f"{median(values) * 1000:.0f} ms"

    def ratio(a: list[float], b: list[float]) -> str:
        return f"{median(a) / median(b):.2f}×"

    def runs(a: list[float], b: list[float], scale: float = 1000, unit: str = "ms") -> str:
        return (f"{len(a)} ({min(a) * scale:.0f}–{max(a) * scale:.0f}; "
                f"{min(b) * scale:.0f}–{max(b) * scale:.0f} {unit})")  # fmt: skip

    n_d, n_t = args.dispatch_n, args.roundtrip_n
    rate_poli = [n_t / s for s in trip["poli"]]
    rate_plain = [n_t / s for s in trip["plain"]]

    def timed(label: str, a: str, b: str) -> tuple[str, str, str, str, str]:
        """A row comparing two cold-start commands; a failed one shows why instead."""
        if a in failed or b in failed:
            why = "; ".join(f"`{k}` FAILED ({failed[k]})" for k in (a, b) if k in failed)
            cells = [ms(cold[k]) if k in cold else "FAILED" for k in (a, b)]
            return (label, *cells, "–", why)
        return (label, ms(cold[a]), ms(cold[b]), ratio(cold[a], cold[b]), runs(cold[a], cold[b]))

    floor = cold.get("python -c pass", [])
    rows = [
        timed("Cold start (CPU time): `import engine.app` vs `import plain_app`",
              "import engine.app", "import plain_app"),
        timed("Cold start (CPU), no model cache: `import engine.app` vs `import plain_app`",
              "import engine.app, no cache", "import plain_app"),
        timed("`polictl validate` vs `python -c 'import celery'`", "polictl validate",
              "import celery"),
        timed("`polictl --help` vs `python -c 'import celery'`", "polictl --help",
              "import celery"),
        ("(floor: `python -c pass`)", "–", ms(floor) if floor else "FAILED", "–",
         f"{len(floor)} ({spread(floor)} s)" if floor else "–"),
        (f"Dispatch: {n_d} × `apply_async` to Redis (in-process)", ms(dispatch["poli"]),
         ms(dispatch["plain"]), ratio(dispatch["poli"], dispatch["plain"]),
         runs(dispatch["poli"], dispatch["plain"])),
        ("Dispatch rate (msgs/s)", f"{n_d / median(dispatch['poli']):.0f}",
         f"{n_d / median(dispatch['plain']):.0f}",
         f"{median(dispatch['plain']) / median(dispatch['poli']):.2f}×", "(higher is better)"),
        (f"Round trip: {n_t} echo tasks, worker -c {args.concurrency} (tasks/s)",
         f"{median(rate_poli):.0f}", f"{median(rate_plain):.0f}",
         f"{median(rate_poli) / median(rate_plain):.2f}×",
         f"{len(rate_poli)} ({min(rate_poli):.0f}–{max(rate_poli):.0f}; "
         f"{min(rate_plain):.0f}–{max(rate_plain):.0f} tasks/s, higher is better)"),
        ("Worker start until first ping reply", ms(startup["poli"]), ms(startup["plain"]),
         ratio(startup["poli"], startup["plain"]), runs(startup["poli"], startup["plain"])),
        ("Beat lateness, 1 s schedule, due to in Redis: p50 / p99 / max (ms)",
         late_cells(late["poli"]), late_cells(late["plain"]), "–",
         f"{len(late['poli'])}, {len(late['plain'])} sends; poli: 2 beats, lock and reload on"),
    ]  # fmt: skip
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = "\n".join([
        "# poli benchmarks: poli vs plain Celery",
        "",
        f"Run {now} by `make bench` (`bench/run.py`, {total:.0f} s in all).",
        f"Machine: {machine()}.",
        f"Config: `tests/configs/minimal`; baseline: `bench/plain_app.py` "
        f"(parity with the poli-built app: {'OK' if not problems else 'DIFFERS, see stderr'}).",
        "Broker and result backend: a redis-server started by the benchmark on a free port.",
        "",
        table(rows),
        "",
        "The first five rows are the CPU time (user + system) of a fresh process, not its "
        "wall time, which on a shared machine mostly measures the neighbours. "
        "Ratios are poli/plain medians: for times, above 1 means poli is slower; for rates "
        "(msgs/s, tasks/s), below 1 means poli is slower. Runs alternate poli and plain "
        "(dispatch: in alternating chunks of 100 messages within each run; round trip: both "
        "workers up side by side, each app on its own Redis db, batches in ABBA order, "
        "workers started twice in opposite orders) with `--without-gossip --without-mingle "
        "--loglevel warning`, prefork pool, the same queue and options. The machine is "
        "shared, so look at the spread before reading much into a ratio near 1.",
        "",
    ])  # fmt: skip
    print()
    print(report)
    args.output.write_text(report)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
