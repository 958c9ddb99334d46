"""supervisor programs (a conf.d include file, no [supervisord] section): a program per
worker group (`numprocs` = replicas), beat, Flower, the console, the embedded Redis, `[group:poli]`."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.model import Platform, WorkerGroup
from generators.common import (
    Verbatim,
    beat_args,
    console_args,
    flower_args,
    percent_escape,
    render_template,
    runtime_environment,
    shellquote,
    worker_args,
)
from generators.redis import embedded_redis_args, redis_dir

CONF = "poli.conf"


@dataclass(frozen=True)
class EmbeddedRedis:
    """How the embedded broker's program runs (`broker.url: embedded` only).

    A deployment takes the defaults: `redis-server` from supervisord's PATH on the unix socket
    under `deploy.state_dir`. The local stack passes its own binary and, when that socket path
    is too long for the kernel, a loopback `port`."""

    binary: str = "redis-server"
    port: int | None = None
    # Lower than every Celery program (999): started first; and outside [group:poli], so
    # stopped last, after the workers have finished their tasks and acked.
    priority: int = 100


@dataclass(frozen=True)
class Program:
    name: str
    command: str
    log_file: str  # as supervisor reads it (`%` doubled, `%(process_num)02d` for replicas)
    log_files: tuple[str, ...] = field(default=(), compare=False)  # the files, one per process
    numprocs: int = 1
    stop_timeout: int | None = None
    stop_note: str = ""
    priority: int = 999
    grouped: bool = True  # a member of [group:poli]


def render_supervisor(
    platform: Platform, redis: EmbeddedRedis | None = None, beat: bool = True
) -> dict[str, str]:
    """`{"poli.conf": text}`: include it from a supervisord.conf (`[include] files=`).
    `beat=False` leaves beat out (`polictl up GROUP` runs only what it names)."""
    deploy = platform.deploy
    programs = supervisor_programs(platform, redis, beat)
    environment = ",".join(
        f"{name}={_quote_value(value)}" for name, value in runtime_environment(platform).items()
    )
    text = render_template(
        "supervisor/poli.conf", deploy=deploy, programs=programs, environment=environment
    )
    return {CONF: text}


def supervisor_programs(
    platform: Platform, redis: EmbeddedRedis | None = None, beat: bool = True
) -> list[Program]:
    """Every program of the deployment, in the order supervisord starts them."""
    deploy = platform.deploy
    programs = [_redis(platform, redis or EmbeddedRedis())] if platform.broker.embedded else []
    programs += [_worker(platform, group) for group in platform.workers]
    if beat and platform.runs_beat:
        programs.append(_program(platform, "beat", beat_args(deploy.state_dir), "celery_beat.log"))
    if deploy.flower.enabled:
        args = flower_args(deploy.flower.address, deploy.flower.port)
        programs.append(_program(platform, "flower", args, "celery_flower.log"))
    if deploy.console.enabled:
        args = console_args(deploy.working_directory, deploy.console.address, deploy.console.port)
        programs.append(
            _program(platform, "console", args, "poli_console.log", bin=deploy.polictl_bin)
        )
    return programs


def log_files(platform: Platform) -> dict[str, str]:
    """Each process's log file by the name `polictl logs` takes: `worker_default` (or
    `worker_default_01`, `_02`, ... with replicas), `beat`, `flower`, `redis`."""
    files: dict[str, str] = {}
    for program in supervisor_programs(platform):
        name = program.name.replace("-", "_")
        if len(program.log_files) == 1:
            files[name] = program.log_files[0]
            continue
        for number, path in enumerate(program.log_files, start=1):
            files[f"{name}_{number:02d}"] = path
    return files


def _worker(platform: Platform, group: WorkerGroup) -> Program:
    # supervisor expands %(process_num)d (1..replicas); %%h reaches Celery as %h, the host.
    node = Verbatim(f"{group.name}-%(process_num)d@%%h")
    # One file per process when there are replicas: each would rotate a shared file.
    log = f"celery_worker_{group.name}.log"
    files = (log,)
    if group.replicas > 1:
        log = f"celery_worker_{group.name}_%(process_num)02d.log"
        files = tuple(
            f"celery_worker_{group.name}_{n:02d}.log" for n in range(1, group.replicas + 1)
        )
    return _program(
        platform,
        f"worker-{group.name}",
        worker_args(group, node),
        log,
        files=files,
        numprocs=group.replicas,
        stop_timeout=platform.stop_timeout(group),
        stop_note=platform.stop_timeout_note(group),
    )


def _program(
    platform: Platform,
    name: str,
    args: list[str],
    log: str,
    files: tuple[str, ...] = (),
    bin: str = "",
    **extra,
) -> Program:
    """A Celery program, run through /bin/sh so it first loads the environment file
    (the secrets) and then execs Celery: supervisor signals Celery itself."""
    deploy = platform.deploy
    source = f". {shellquote(percent_escape(deploy.environment_file))}"
    if platform.broker.embedded:  # the broker URL is derived, so the file is optional
        path = shellquote(percent_escape(deploy.environment_file))
        source = f"if [ -r {path} ]; then {source}; fi"
    celery = " ".join(shellquote(percent_escape(w)) for w in [bin or deploy.celery_bin, *args])
    script = f"set -a; {source}; set +a; exec {celery}"
    paths = tuple(_path(platform, f) for f in files or (log,))
    return Program(name, _sh(script), _log(platform, log), paths, **extra)


def _redis(platform: Platform, redis: EmbeddedRedis) -> Program:
    directory = shellquote(percent_escape(redis_dir(platform.deploy)))
    words = [redis.binary, *embedded_redis_args(platform.deploy, redis.port)]
    server = " ".join(shellquote(percent_escape(w)) for w in words)
    script = f"mkdir -p -m 0700 {directory} && exec {server}"
    # Outside [group:poli]: supervisord stops a group's members all at once, and a worker
    # finishing its task in a warm shutdown still needs the broker to ack it and store its result.
    log = _log(platform, "redis.log")
    paths = (_path(platform, "redis.log"),)
    return Program("redis", _sh(script), log, paths, priority=redis.priority, grouped=False)


def _sh(script: str) -> str:
    """`/bin/sh -c SCRIPT` as supervisor splits it (POSIX shlex, no `$` expansion):
    double quotes keep the script's own single quotes readable when they suffice."""
    if '"' in script or "\\" in script:
        return f"/bin/sh -c {shellquote(script)}"
    return f'/bin/sh -c "{script}"'


def _path(platform: Platform, name: str) -> str:
    return f"{platform.deploy.log_dir.rstrip('/')}/{name}"


def _log(platform: Platform, name: str) -> str:
    """As supervisor reads it: the directory escaped, the name may hold `%(process_num)02d`."""
    return f"{percent_escape(platform.deploy.log_dir.rstrip('/'))}/{name}"


def _quote_value(value: str) -> str:
    """A value for supervisor's `environment=KEY="value",...`: supervisor splits it with
    shlex in non-POSIX mode, where nothing inside quotes is an escape, so the value goes
    in a quote it does not hold (the values here are checked paths and names; the local
    stack refuses paths with quotes)."""
    quote = "'" if '"' in value else '"'
    return percent_escape(f"{quote}{value}{quote}")
