"""systemd units: a template unit per worker group (one instance per replica), beat,
Flower, the embedded Redis when there is one, and `poli.target` pulling them all in."""

from __future__ import annotations

from dataclasses import dataclass

from engine.model import Deploy, Platform, WorkerGroup
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
from generators.redis import embedded_redis_args, redis_dir

REDIS_SERVER = "/usr/bin/redis-server"
TARGET = "poli.target"
INTERNET = "AF_UNIX AF_INET AF_INET6"
# gevent's libuv loop and eventlet's hubs call back through cffi/libffi closures, which
# may map writable, executable memory: only these pools run under MemoryDenyWriteExecute=.
WRITE_EXECUTE_FREE_POOLS = frozenset({"prefork", "threads", "solo"})


@dataclass(frozen=True)
class Sandbox:
    """What one unit may do beyond the hardening every unit gets."""

    # ReadWritePaths=: the only paths it writes. Every Celery process keeps its model
    # cache in the state dir (beat and Flower nothing else); Redis its AOF and socket.
    read_write: str
    address_families: str = INTERNET
    private_network: bool = False
    deny_write_execute: bool = True


def render_systemd(platform: Platform) -> dict[str, str]:
    """`{file name: unit text}` for /etc/systemd/system, plus a tmpfiles.d snippet."""
    files = {f"poli-worker-{g.name}@.service": _worker(platform, g) for g in platform.workers}
    if platform.runs_beat:
        files["poli-beat.service"] = _unit(
            platform,
            "beat",
            "poli beat (the one scheduler)",
            _exec(platform, beat_args(platform.deploy.state_dir)),
            sandbox=Sandbox(_paths(platform.deploy.state_dir)),
        )
    if platform.deploy.flower.enabled:
        flower = platform.deploy.flower
        files["poli-flower.service"] = _unit(
            platform,
            "flower",
            "poli Flower",
            _exec(platform, flower_args(flower.address, flower.port)),
            sandbox=Sandbox(_paths(platform.deploy.state_dir)),
        )
    if platform.deploy.console.enabled:
        console = platform.deploy.console
        args = console_args(platform.deploy.working_directory, console.address, console.port)
        command = " ".join(systemdquote(w) for w in [platform.deploy.polictl_bin, *args])
        files["poli-console.service"] = _unit(
            platform,
            "console",
            "poli operator console",
            command,
            sandbox=Sandbox(_paths(platform.deploy.state_dir)),  # the model cache, as Flower
        )
    if platform.broker.embedded:
        command = " ".join(
            systemdquote(w) for w in [REDIS_SERVER, *embedded_redis_args(platform.deploy)]
        )
        # Its append-only file and socket only; the socket is all it serves (no TCP).
        sandbox = Sandbox(_paths(redis_dir(platform.deploy)), "AF_UNIX", private_network=True)
        files["poli-redis.service"] = _unit(
            platform, "redis", "poli embedded Redis broker", command, sandbox=sandbox
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
        # Handlers write their logs and data (POLI_LOG_DIR, POLI_DATA_DIR).
        sandbox=Sandbox(
            _paths(platform.deploy.log_dir, platform.deploy.state_dir),
            deny_write_execute=group.pool in WRITE_EXECUTE_FREE_POOLS,
        ),
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
        protect_home=_protect_home(deploy),
        embedded=platform.broker.embedded,
        **extra,
    )


def _protect_home(deploy: Deploy) -> str:
    """ProtectHome=yes hides /home, /root and /run/user: read-only instead when the
    deployment lives there (its paths must stay reachable; ReadWritePaths= still apply)."""
    paths = (deploy.working_directory, deploy.virtualenv, deploy.environment_file)
    paths += (deploy.log_dir, deploy.state_dir)
    homes = ("/home/", "/root/", "/run/user/")
    inside = any((path.rstrip("/") + "/").startswith(homes) for path in paths)
    return "read-only" if inside else "yes"


def _paths(*paths: str) -> str:
    return " ".join(systemdquote(p) for p in paths)


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
