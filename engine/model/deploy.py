"""Where and how the platform runs: beat's lock, Flower, the deploy section, the hosts.

Part of the model (engine.model re-exports every class): frozen values, no defaults (the
JSON Schema holds them), no I/O."""

from __future__ import annotations

from dataclasses import dataclass

# Beat touches the file this variable names on every tick (for a liveness probe).
BEAT_HEARTBEAT_ENV = "POLI_BEAT_HEARTBEAT_FILE"


@dataclass(frozen=True)
class Beat:
    """One active beat: it renews its lock in the broker's Redis; standbys poll for it."""

    lock_ttl: float  # schedules.yaml `beat.lock_ttl`

    @property
    def renew_interval(self) -> float:
        return self.lock_ttl * 2 / 3

    @property
    def standby_poll(self) -> float:
        return self.lock_ttl / 6

    @property
    def takeover_bound(self) -> float:
        """Seconds from the active beat's death to a standby sending: the lock expires,
        then a standby's next poll takes it (at most twice the renewal interval)."""
        return self.lock_ttl + self.standby_poll


@dataclass(frozen=True)
class Flower:
    enabled: bool
    address: str
    port: int
    sent_events: bool


@dataclass(frozen=True)
class Console:
    """The operator console (`polictl console`): where it listens."""

    enabled: bool
    address: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}/"


@dataclass(frozen=True)
class Deploy:
    """Where and as whom the generated units run (queues.yaml `deploy:`)."""

    user: str
    group: str
    working_directory: str
    virtualenv: str
    environment_file: str
    log_dir: str
    state_dir: str
    flower: Flower
    console: Console

    @property
    def celery_bin(self) -> str:
        return f"{self.virtualenv.rstrip('/')}/bin/celery"

    @property
    def polictl_bin(self) -> str:
        return f"{self.virtualenv.rstrip('/')}/bin/polictl"


@dataclass(frozen=True)
class Host:
    """One machine of a multi-host deployment (queues.yaml `hosts:`) and what runs on it."""

    name: str
    workers: tuple[tuple[str, int], ...]  # (worker group, processes on this host)
    beat: bool
    flower: bool
