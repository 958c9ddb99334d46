"""`polictl render systemd|supervisor --host NAME | --all-hosts`: the bundle of each host
of `hosts:` in queues.yaml, rendered by the same generators from `Platform.on_host`."""

from __future__ import annotations

from pathlib import Path

import click

from engine.diagnostics import UserError, did_you_mean
from engine.model import Platform
from generators.formats import RENDERERS

HOST_FORMATS = ("supervisor", "systemd")  # the formats installed host by host


def wants_hosts(fmt: str, platform: Platform, host: str | None, all_hosts: bool) -> bool:
    """Whether this render is per host; refuses the combinations that make no sense."""
    if host and all_hosts:
        raise click.UsageError("--host and --all-hosts exclude each other")
    if (host or all_hosts) and fmt not in HOST_FORMATS:
        raise click.UsageError(f"--host and --all-hosts render systemd or supervisor, not {fmt}")
    if (host or all_hosts) and not platform.hosts:
        raise UserError(
            "queues.yaml declares no hosts, so everything runs on one host",
            hint="render without --host/--all-hosts, or add a `hosts:` section",
        )
    if platform.hosts and fmt in HOST_FORMATS and not (host or all_hosts):
        first = platform.hosts[0].name
        raise UserError(
            f"queues.yaml places the work on {len(platform.hosts)} host(s): render one host's"
            " bundle, or all of them",
            hint=f"polictl render {fmt} --host {first}   or   polictl render {fmt} --all-hosts -o DIR",
            exit_code=2,
        )
    return bool(host or all_hosts)


def host_files(fmt: str, platform: Platform, host: str) -> dict[str, str]:
    """One host's bundle: `{relative path: text}`, as a one-host render would write it."""
    known = [h.name for h in platform.hosts]
    if host not in known:
        raise UserError(
            f"host {host!r} is not declared under `hosts:`",
            hint=did_you_mean(host, known) or f"declared: {', '.join(known)}",
            exit_code=2,
        )
    return RENDERERS[fmt](platform.on_host(host))


def all_host_files(fmt: str, platform: Platform) -> dict[str, str]:
    """Every host's bundle, each in a folder named after its host: `{HOST/path: text}`."""
    return {
        f"{host.name}/{rel}": text
        for host in platform.hosts
        for rel, text in host_files(fmt, platform, host.name).items()
    }


def default_out_dir(config_dir: Path, fmt: str, host: str | None) -> Path:
    base = config_dir / "deploy" / fmt
    return base / host if host else base
