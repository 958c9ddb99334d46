"""Worker-group profiles: a documented set of Celery worker settings per kind of workload.

`profile:` on a worker group in queues.yaml fills the group's settings that the group
does not set itself (a key written on the group always wins):

- `throughput` (many short tasks): one worker process per task slot, each with
  concurrency 1 and prefetch 16, on the solo pool when no task routed to the group
  declares a time limit (else prefork, which enforces them). A worker's own main loop
  (receive, dispatch, ack: about 2,000 tasks/s here) is the limit for short tasks, so N
  processes with one slot each drain a queue faster than one process with N slots, and
  solo saves the pipe to a child. Trades: a process per slot; up to 16 messages reserved
  per process (a task may wait behind them while another worker is idle); on solo a
  running task also holds up the worker's heartbeats and remote control until it ends.
- `latency` (interactive tasks): prefetch 1, so no task waits in a busy worker's buffer
  while another worker is free. Trades: a round trip to the broker between tasks.
- `long-running` (minutes to hours): prefetch 1 and a fresh child after 100 tasks (memory
  a long task leaves behind goes with it). Trades: throughput for short tasks.

Without a profile a group takes the schema's defaults, which are Celery's (prefetch 4).
`acks_late` and time limits stay per task in tasks.yaml: no profile weakens them, and a
pool that cannot enforce a declared time limit is named by `validate`
(engine.config.check.pools).
"""

from __future__ import annotations

from typing import Any

from engine.model import NO_TIME_LIMITS

PROFILES: dict[str, dict[str, Any]] = {
    "throughput": {"prefetch_multiplier": 16, "pool": "solo", "process_per_slot": True},
    "latency": {"prefetch_multiplier": 1, "pool": "prefork"},
    "long-running": {"prefetch_multiplier": 1, "pool": "prefork", "max_tasks_per_child": 100},
}


def apply_profile(
    defaults: dict[str, Any], spec: dict[str, Any], limited: bool = True
) -> dict[str, Any]:
    """A group's settings: the schema's defaults, then its profile's, then its own keys.

    `throughput` turns `concurrency: N` (× replicas) into N single-slot processes, on the
    solo pool (no child process, no pipe between them) unless a task routed to the group
    declares a time limit (`limited`): only prefork enforces one."""
    profile = dict(PROFILES.get(spec.get("profile") or "", {}))
    per_slot = profile.pop("process_per_slot", False)
    if limited and profile.get("pool") in NO_TIME_LIMITS:
        profile["pool"] = "prefork"
    values = {**defaults, **profile, **spec}
    if per_slot:
        values["replicas"], values["concurrency"] = values["replicas"] * values["concurrency"], 1
    return values
