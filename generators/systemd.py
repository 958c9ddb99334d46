"""systemd units: a template unit per worker group (one instance per replica), beat,
Flower, the embedded Redis when there is one, and `poli.target` pulling them all in."""

from __future__ import annotations

from engine.model import Platform, WorkerGroup
from generators.common import (
    Verbatim,
    beat_args,
    console_args,
    flower_args,
    render_template,
    runtime_environment,
    systemd_env,
    systemdquote,
    worker_args,
)
from generators.redis import embedded_redis_args

REDIS_SERVER = "/usr/bin/redis-server"
TARGET = "poli.target"


def render_systemd(platform: Platform) -> dict[str, str]:
    """`{file name: unit text}` for /etc/systemd/system, plus a tmpfiles.d snippet."""
    files = {f"poli-worker-{g.name}@.service": _worker(platform, g) for g in platform.workers}
    if platform.runs_beat:
        files["poli-beat.service"] = _unit(
            platform,
            "beat",
            "poli beat (the one scheduler)",
            _exec(platform, beat_args(platform.deploy.state_dir)),
        )
    if platform.deploy.flower.enabled:
        flower = platform.deploy.flower
        files["poli-flower.service"] = _unit(
            platform,
            "flower",
            "poli Flower",
            _exec(platform, flower_args(flower.address, flower.port)),
        )
    if platform.deploy.console.enabled:
        console = platform.deploy.console
        args = console_args(platform.deploy.working_directory, console.address, console.port)
        command = " ".join(systemdquote(w) for w in [platform.deploy.polictl_bin, *args])
        files["poli-console.service"] = _unit(platform, "console", "poli operator console", command)
    if platform.broker.embedded:
        command = " ".join(
            systemdquote(w) for w in [REDIS_SERVER, *embedded_redis_args(platform.deploy)]
        )
        files["poli-redis.service"] = _unit(
            platform, "redis", "poli embedded Redis broker", command
        )
    files[TARGET] = render_template("systemd/poli.target", wants=_target_wants(platform))
    files["tmpfiles.d/poli.conf"] = render_template(
        "systemd/tmpfiles.conf", deploy=platform.deploy, embedded=platform.broker.embedded
    )
    return dict(sorted(files.items()))


def _exec(platform: Platform, args: list[str]) -> str:
    return " ".join(systemdquote(w) for w in [platform.deploy.celery_bin, *args])


def _worker(platform: Platform, group: WorkerGroup) -> str:
    # %i is the instance (1..replicas) and %H the host name: systemd expands both.
    node = Verbatim(f"{group.name}-%i@%H")
    return _unit(
        platform,
        "worker",
        f"poli worker {group.name} %i (queues {', '.join(group.queues)})",
        _exec(platform, worker_args(group, node)),
        group=group,
        stop_timeout=platform.stop_timeout(group),
        stop_note=platform.stop_timeout_note(group),
    )


def _unit(platform: Platform, kind: str, description: str, exec_start: str, **extra: object) -> str:
    deploy = platform.deploy
    environment = [systemd_env(k, v) for k, v in runtime_environment(platform).items()]
    return render_template(
        "systemd/process.service",
        kind=kind,
        deploy=deploy,
        description=description,
        exec_start=exec_start,
        environment=environment,
        # The broker URL lives in the environment file; only the embedded broker may do without.
        environment_file=("-" if platform.broker.embedded else "") + deploy.environment_file,
        embedded=platform.broker.embedded,
        read_write=" ".join(systemdquote(p) for p in (deploy.log_dir, deploy.state_dir)),
        **extra,
    )


def _target_wants(platform: Platform) -> list[str]:
    units = [
        f"poli-worker-{g.name}@{i}.service"
        for g in platform.workers
        for i in range(1, g.replicas + 1)
    ]
    if platform.runs_beat:
        units.append("poli-beat.service")
    if platform.deploy.flower.enabled:
        units.append("poli-flower.service")
    if platform.deploy.console.enabled:
        units.append("poli-console.service")
    if platform.broker.embedded:
        units.append("poli-redis.service")
    return units
