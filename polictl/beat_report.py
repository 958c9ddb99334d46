"""What the running beat is doing, read from the broker's Redis: who holds the lock,
which config it runs (and whether the files on disk still say the same), last and next runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.config.fingerprint import config_hash
from engine.diagnostics import UserError
from engine.model import Platform


@dataclass(frozen=True)
class BeatReport:
    disk_hash: str
    problem: str | None = None  # why there is nothing to report
    holder: dict[str, Any] | None = None  # host, pid, since
    status: dict[str, Any] = field(default_factory=dict)  # config_hash, generation, next
    last: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> due, sent
    expired: dict[str, int] = field(default_factory=dict)  # name -> runs revoked unstarted
    pauses: dict[str, Any] = field(default_factory=dict)  # name -> Pause (operator overrides)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> last run record

    @property
    def matches_disk(self) -> bool:
        return self.status.get("config_hash") == self.disk_hash

    @property
    def refusal(self) -> str | None:
        """Why the running beat refused the files on disk, when it did (it says so in its log)."""
        rejected = self.status.get("rejected") or {}
        return rejected.get("reason") if rejected.get("config_hash") == self.disk_hash else None

    def last_run(self, name: str) -> str | None:
        return self.last.get(name, {}).get("due")

    def paused(self, name: str) -> str | None:
        """The override, in words, when an operator paused the schedule."""
        record = self.pauses.get(name)
        return record.describe() if record else None

    def next_run(self, name: str) -> str | None:
        return (self.status.get("next") or {}).get(name) if self.holder else None

    def lines(self) -> list[str]:
        if self.problem:
            return [f"beat: {self.problem}"]
        if self.holder is None:
            return ["beat: no beat holds the lock (none running, or the broker restarted)"]
        who = f"{self.holder['host']} pid {self.holder['pid']} since {self.holder['since']}"
        loaded = self.status.get("config_hash", "")[:12] or "?"
        if self.matches_disk:
            files = "beat: the files on disk match it"
        elif self.refusal:
            files = f"beat: refused the files on disk ({self.disk_hash[:12]}): {self.refusal}"
        else:
            files = (
                f"beat: the files on disk differ ({self.disk_hash[:12]}): invalid, or not yet read"
            )
        return [
            f"beat: active on {who}",
            f"beat: runs config {loaded}, generation {self.status.get('generation', '?')}, "
            f"loaded {self.status.get('loaded_at', '?')}",
            files,
        ]


def collect_beat(platform: Platform, timeout: float = 1.0) -> BeatReport:
    """Never raises for a broker that is down or not Redis: the report says so."""
    from engine.runtime.beat.pause import paused
    from engine.runtime.beat.runs import read_runs
    from engine.runtime.beat.store import read
    from engine.runtime.broker import broker_url, state_client

    disk = config_hash(platform.config_dir, platform.environment)
    try:
        client = state_client(platform, timeout)
    except UserError as exc:  # the embedded broker was never started
        return BeatReport(disk, problem=f"not running ({exc})")
    if client is None:
        scheme = broker_url(platform).split("://")[0]
        return BeatReport(disk, problem=f"polictl reads beat's lock from Redis, not {scheme}://")
    try:
        state = read(client, platform.broker.key_prefix)
        names = [s.name for s in platform.schedules]
        prefix = platform.broker.key_prefix
        pauses, runs = paused(client, names, prefix), read_runs(client, names, prefix)
    except Exception as exc:  # redis-py's connection errors, a wrong password, ...
        if platform.broker.embedded:
            return BeatReport(disk, problem="not running (the embedded broker is down)")
        return BeatReport(disk, problem=f"broker unreachable: {exc}")
    finally:
        client.close()
    return BeatReport(
        disk,
        None,
        state["holder"],
        state["status"] or {},
        state["last"],
        state["expired"],
        pauses=pauses,
        runs=runs,
    )
