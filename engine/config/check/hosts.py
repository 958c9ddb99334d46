"""Checks of `hosts:` in queues.yaml: what breaks once a deployment spans several machines.

They run even when the schema found problems (so one run reports everything), so every
lookup here is defensive about types, like the other semantic checks.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from engine.config.options import effective
from engine.config.read.loader import Document, Pos, error
from engine.diagnostics import WARNING, Diagnostic, did_you_mean
from engine.model import EMBEDDED_BROKER
from engine.model.broker import broker_kind, state_store

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
SOCKET_SCHEMES = {"redis+socket", "unix", "socket"}


def local_only(url: str) -> str | None:
    """Why `url` reaches a service on the caller's own host only, or None when it does not."""
    if url == EMBEDDED_BROKER:
        return "the embedded broker lives inside one host's stack"
    for part in url.split(";"):  # kombu's failover and sentinel lists
        parsed = urlsplit(part.strip())
        if parsed.scheme in SOCKET_SCHEMES or parsed.scheme.startswith("db+sqlite"):
            return "a unix socket or a local file is reachable from its own host only"
        host = (parsed.hostname or "localhost").lower()  # no host: kombu means localhost
        if host in LOOPBACK_NAMES or host.endswith(".localhost") or _loopback_ip(host):
            return f"{host} is a loopback address, so each host would reach only itself"
    return None


def _loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class PlacementChecker:
    def __init__(self, queues: Document, enabled_schedules: int, landing: dict[str, list[str]]):
        self.doc = queues
        self.data = _mapping(queues.data)
        self.hosts = {n: _mapping(h) for n, h in _mapping(self.data.get("hosts")).items()}
        self.groups = _mapping(self.data.get("workers"))
        self.enabled_schedules = enabled_schedules
        self.landing = landing  # queue -> what is routed to it
        self.out: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        placed = self.placements() if self.hosts else {}
        if self.hosts:
            self.broker()
            self.beat()
            self.unplaced(placed)
        self.redundancy(placed)
        return self.out

    def group_queues(self, group: str) -> list[str]:
        return _names(_mapping(self.groups.get(group)).get("queues"))

    def placements(self) -> dict[str, set[str]]:
        """Worker group -> the hosts it runs on; a host naming an unknown group is an error."""
        placed: dict[str, set[str]] = {}
        for host, spec in self.hosts.items():
            for group in _mapping(spec.get("workers")):
                if group in self.groups:
                    placed.setdefault(group, set()).add(host)
                    continue
                self.out.append(
                    error(
                        self.doc.key_pos(("hosts", host, "workers", group)),
                        "unknown-worker-group",
                        f"host {host!r} names undeclared worker group {group!r}",
                        did_you_mean(group, list(self.groups))
                        or "declare it under `workers:` in queues.yaml",
                    )
                )
            if not (spec.get("workers") or spec.get("beat") or spec.get("flower")):
                self.warn(("hosts", host), "idle-host", f"host {host!r} runs nothing")
        return placed

    def broker(self) -> None:
        """Every host must reach the same broker (and result backend)."""
        if len(self.hosts) < 2:
            return
        broker = _mapping(self.data.get("broker"))
        for key, what in (("url", "broker"), ("result_backend", "result backend")):
            value = broker.get(key)
            why = (
                local_only(value)
                if isinstance(value, str) and value not in ("", "broker")
                else None
            )
            if why:
                self.out.append(
                    error(
                        self.doc.pos(("broker", key)),
                        "local-broker",
                        f"the {what} must be reachable from all {len(self.hosts)} hosts, but {why}",
                        "point it at a Redis every host reaches, set in the environment file"
                        " (POLI_BROKER_URL, POLI_RESULT_BACKEND) where you render",
                    )
                )

    def beat(self) -> None:
        beats = [host for host, spec in self.hosts.items() if spec.get("beat") is True]
        broker = _mapping(self.data.get("broker"))
        url, backend, state = (broker.get(k) for k in ("url", "result_backend", "state_url"))
        # Beats share a lock in the Redis of poli's state (engine/runtime/beat): one sends.
        texts = [v if isinstance(v, str) else None for v in (url, backend, state)]
        shared_lock = texts[0] is not None and state_store(broker_kind(texts[0]), *texts[1:])
        for host in [] if shared_lock else beats[1:]:
            self.out.append(
                error(
                    self.doc.pos(("hosts", host, "beat")),
                    "several-beats",
                    f"beat runs on {len(beats)} hosts ({', '.join(beats)}) and no Redis keeps "
                    "beat's lock: each would send every schedule",
                    f"keep `beat: true` on one host, e.g. {beats[0]!r}, or set "
                    "broker.state_url (or a Redis broker or result backend)",
                )
            )
        if not beats and self.enabled_schedules:
            self.out.append(
                error(
                    self.doc.key_pos(("hosts",)),
                    "no-beat",
                    f"no host runs beat, so none of the {self.enabled_schedules} enabled"
                    " schedule(s) would ever fire",
                    "set `beat: true` on one host",
                )
            )

    def unplaced(self, placed: dict[str, set[str]]) -> None:
        """A worker group on no host is an error when tasks routed to its queues strand."""
        consumed = {queue for group in placed for queue in self.group_queues(group)}
        for group in self.groups:
            if group in placed and "replicas" in _mapping(self.groups[group]):
                self.warn(
                    ("workers", group, "replicas"),
                    "unused-replicas",
                    f"worker group {group!r}: `replicas` does not apply once `hosts:` places"
                    " it; each host's count does",
                )
            if group in placed:
                continue
            stranded = [
                q for q in self.group_queues(group) if q in self.landing and q not in consumed
            ]
            if not stranded:
                self.warn(
                    ("workers", group), "unplaced-group", f"worker group {group!r} runs on no host"
                )
                continue
            self.out.append(
                error(
                    self.doc.key_pos(("workers", group)),
                    "unplaced-group",
                    f"worker group {group!r} runs on no host, so nothing consumes queue"
                    f" {stranded[0]!r}, but {self.landing[stranded[0]][0]!r} is routed to it",
                    f"place it on a host: `hosts: {{HOST: {{workers: {{{group}: 1}}}}}}`",
                )
            )

    def redundancy(self, placed: dict[str, set[str]]) -> None:
        """`min_hosts` on a queue: that many hosts must consume it."""
        for queue, spec in _mapping(self.data.get("queues")).items():
            wanted = _mapping(spec).get("min_hosts")
            if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted <= 1:
                continue
            hosts = sorted(
                {h for g, on in placed.items() if queue in self.group_queues(g) for h in on}
            )
            if len(hosts) >= wanted:
                continue
            found = f"{len(hosts)} ({', '.join(hosts)})" if hosts else "none"
            if not self.hosts:
                found = "one, as there is no `hosts:` section"
            self.out.append(
                error(
                    self.doc.pos(("queues", queue, "min_hosts")),
                    "redundancy",
                    f"queue {queue!r} must be consumed on at least {wanted} hosts, but the"
                    f" hosts running a worker group that consumes it: {found}",
                    "place a worker group consuming it on more hosts under `hosts:`",
                )
            )

    def warn(self, path: tuple, code: str, message: str) -> None:
        pos: Pos = self.doc.key_pos(path)
        self.out.append(Diagnostic(pos.file, pos.line, pos.column, WARNING, code, message))


def check(queues: Document, schedules: Document, landing: dict[str, list[str]]) -> list[Diagnostic]:
    specs = _mapping(_mapping(schedules.data).get("schedules")).values()
    enabled = sum(effective("schedule", spec)["enabled"] is True for spec in specs)
    return PlacementChecker(queues, enabled, landing).run()
