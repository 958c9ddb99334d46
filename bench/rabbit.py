"""`make bench`, part 2 on RabbitMQ: issue 22's target, end to end on an amqp:// broker.

The same measure as bench/targets.py's Redis "end to end" (N no-op tasks sent with
`apply_async` while one worker of concurrency 2 runs them; tasks/s from the first send to
the last task done), on the machine's RabbitMQ (127.0.0.1:5672, guest), two pairs:
- poli's smallest config with its shipped defaults, its own state in a redis-server the bench
  starts (`broker.state_url`; no results: what `result_backend: broker` means on amqp://),
  against Celery's first-steps app (`Celery("x", broker=URL)`, all defaults);
- the same two storing results in that Redis (`result_backend:`; `backend=` for Celery).
Each case has a vhost of its own, created for the run and deleted after. Rounds alternate
(ABBA); medians, spreads and the ratio of each round go to bench/results/rabbitmq-<time>.json,
which bench/report.py turns into the RabbitMQ table of docs/performance-results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from targets import (  # noqa: E402 - bench/ is on the path just above
    SMALLEST,
    RedisServer,
    app_in_process,
    end_to_end,
    env_for,
    stats,
    worker,
    write_config,
)

RABBITMQCTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def available() -> bool:
    """Whether this machine runs a RabbitMQ the bench can make vhosts on."""
    try:
        done = subprocess.run([RABBITMQCTL, "-q", "list_vhosts"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _ctl(*args: str) -> None:
    subprocess.run([RABBITMQCTL, "-q", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def vhost() -> Iterator[str]:
    """An amqp:// URL on a vhost of the bench's own, deleted after."""
    name = f"poli-bench-{uuid.uuid4().hex[:8]}"
    _ctl("add_vhost", name)
    try:
        _ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield AMQP + name
    finally:
        _ctl("delete_vhost", name)


FIRST_STEPS_RESULTS = """import os
from celery import Celery
import benchtasks

app = Celery("x", broker=os.environ["POLI_BROKER_URL"], backend=os.environ["BENCH_RESULTS_URL"])
app.task(name="noop")(benchtasks.noop)
"""
# name: (module, the `broker:` keys of poli's config, or Celery's result backend db)
CASES = {
    "celery defaults": ("first_steps", None),
    "poli defaults": ("engine.app", "state_url"),
    "celery + Redis results": ("first_steps_results", None),
    "poli + Redis results": ("engine.app", "result_backend"),
}


def rabbit_config(directory: Path, key: str | None, redis_url: str) -> Path:
    """The smallest config; poli's own state in the bench's Redis, as `broker.state_url`
    (results: none, what `result_backend: broker` means on amqp://) or `result_backend`."""
    write_config(directory)
    (directory / "first_steps_results.py").write_text(FIRST_STEPS_RESULTS)
    if key:
        queues = SMALLEST["queues.yaml"].replace(
            "broker: {url: '${POLI_BROKER_URL}'}",
            f"broker: {{url: '${{POLI_BROKER_URL}}', {key}: '{redis_url}'}}",
        )
        (directory / "queues.yaml").write_text(queues)
    return directory


def bench_rabbitmq(tmp: Path, redis_url: str, n: int, rounds: int) -> dict:
    import redis

    counter_url = f"{redis_url}/15"
    counter = redis.Redis.from_url(counter_url)
    rates: dict[str, list[float]] = {name: [] for name in CASES}
    enqueue: dict[str, list[float]] = {name: [] for name in CASES}
    with ExitStack() as stack:
        apps = {}
        for db, (name, (module, key)) in enumerate(CASES.items(), start=6):
            config = rabbit_config(tmp / f"rabbit-{db}", key, f"{redis_url}/{db}")
            env = env_for(config, stack.enter_context(vhost()), counter_url)
            env["BENCH_RESULTS_URL"] = f"{redis_url}/{db}"
            apps[name] = app_in_process(module, env)
            log = tmp / f"rabbit-worker-{db}.log"
            stack.enter_context(worker(apps[name], module, env, log))
        for name in CASES:
            end_to_end(apps[name], counter, 200)  # warm-up: pool processes, connections
        names = list(CASES)
        for index in range(rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                rate, sent = end_to_end(apps[name], counter, n)
                rates[name].append(rate)
                enqueue[name].append(sent)
        for app in apps.values():
            app.close()
    pairs = {"poli defaults": "celery defaults", "poli + Redis results": "celery + Redis results"}
    ratios = {p: [a / b for a, b in zip(rates[p], rates[c], strict=True)] for p, c in pairs.items()}
    return {"n": n, "rounds": rounds, "tasks_per_s": {k: stats(v) for k, v in rates.items()},
            "enqueued_per_s": {k: stats(v) for k, v in enqueue.items()},
            "ratio_per_round": {k: stats(v) for k, v in ratios.items()}}  # fmt: skip


def rows(results: dict) -> list[tuple[str, ...]]:
    """The targets table's RabbitMQ rows (none for a run from before this part)."""
    rabbit = results.get("rabbitmq")
    if not rabbit:
        return []
    rate, sent, per_round = (
        rabbit["tasks_per_s"],
        rabbit["enqueued_per_s"],
        rabbit["ratio_per_round"],
    )
    table = []
    for poli, celery, what in (
        ("poli defaults", "celery defaults", "poli defaults vs Celery's defaults (no results)"),
        ("poli + Redis results", "celery + Redis results",
         "poli vs Celery, both storing results in a Redis"),
    ):  # fmt: skip
        mine, base, ratio = rate[poli], rate[celery], per_round[poli]
        table.append(
            (
                f"RabbitMQ end to end, {rabbit['n']} no-op tasks: {what} (tasks/s)",
                f"{mine['median']:.0f}",
                f"{base['median']:.0f}",
                f"{mine['median'] / base['median']:.2f}×",
                f"{rabbit['rounds']} ({mine['min']:.0f}–{mine['max']:.0f}; "
                f"{base['min']:.0f}–{base['max']:.0f}; ratio per round: median "
                f"{ratio['median']:.2f}, {ratio['min']:.2f}–{ratio['max']:.2f})",
                "≥ 1.00×",
            )
        )
        table.append(
            (
                f"Enqueue rate in that run: {poli} on RabbitMQ (msgs/s)",
                f"{sent[poli]['median']:.0f}",
                f"{sent[celery]['median']:.0f}",
                f"{sent[poli]['median'] / sent[celery]['median']:.2f}×",
                "",
                "",
            )
        )
    return table


def table(results: dict) -> str:
    header = ("Target", "poli (median)", "reference (median)", "ratio", "runs (spread)", "goal")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows(results)])


def newest(results: Path) -> Path | None:
    runs = sorted(results.glob("rabbitmq-*.json"))  # names are UTC stamps: sorted = by time
    return runs[-1] if runs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--output", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    if not available():
        print("RabbitMQ part skipped: no rabbitmqctl answers here (.ci/run starts RabbitMQ)")
        return 0
    began = time.perf_counter()
    results: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    print(f"RabbitMQ end to end: {args.n} tasks x {args.rounds} rounds ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="poli-rabbit-") as name:
        server = RedisServer(Path(name) / "redis")
        server.start()
        try:
            results["rabbitmq"] = bench_rabbitmq(Path(name), server.url, args.n, args.rounds)
        finally:
            server.stop()
    results["seconds"] = time.perf_counter() - began
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"rabbitmq-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\n{results['seconds']:.0f} s; JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
