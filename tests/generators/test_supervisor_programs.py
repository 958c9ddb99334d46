"""The supervisor renderer owns every program of a deployment, the embedded broker's
included, and the name of every log file: the local stack reuses both, adds nothing."""

from __future__ import annotations

import dataclasses

from render_cases import load_case

from generators.supervisor import EmbeddedRedis, log_files, render_supervisor


def _section(text: str, program: str) -> dict[str, str]:
    body = text.split(f"[program:{program}]\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines() if not line.startswith(";"))


def test_embedded_broker_program_takes_binary_port_and_priority():
    platform = load_case("stack", broker_url="embedded")
    default = _section(render_supervisor(platform)["poli.conf"], "redis")
    assert default["command"] == (
        '/bin/sh -c "mkdir -p -m 0700 /var/lib/poli/redis && exec redis-server --dir /var/lib/poli/redis'
        " --daemonize no --appendonly yes --appendfsync everysec --save '' --port 0"
        ' --unixsocket /var/lib/poli/redis/redis.sock --unixsocketperm 700"'
    )
    assert default["priority"] == "100"
    local = EmbeddedRedis(binary="/opt/redis/bin/redis-server", port=6399, priority=5)
    section = _section(render_supervisor(platform, local)["poli.conf"], "redis")
    assert section["command"].endswith(
        "exec /opt/redis/bin/redis-server /var/lib/poli/redis/auth.conf --dir /var/lib/poli/redis"
        " --daemonize no"
        " --appendonly yes --appendfsync everysec --save '' --port 6399 --bind 127.0.0.1\""
    )
    assert section["priority"] == "5"
    assert (
        "\nprograms=worker-default,worker-slow,beat,console\n"
        in render_supervisor(platform, local)["poli.conf"]
    )


def test_log_names_follow_replicas_one_file_per_process():
    platform = load_case("stack", broker_url="embedded")
    group = platform.workers[0]
    twice = dataclasses.replace(platform, workers=(dataclasses.replace(group, replicas=2),))
    files = log_files(twice)
    assert files == {
        "redis": "/var/log/poli/redis.log",
        f"worker_{group.name}_01": f"/var/log/poli/celery_worker_{group.name}_01.log",
        f"worker_{group.name}_02": f"/var/log/poli/celery_worker_{group.name}_02.log",
        "beat": "/var/log/poli/celery_beat.log",  # the case declares no Flower
        "console": "/var/log/poli/poli_console.log",
    }
    text = render_supervisor(twice)["poli.conf"]
    assert f"stdout_logfile=/var/log/poli/celery_worker_{group.name}_%(process_num)02d.log" in text
    once = log_files(dataclasses.replace(platform, workers=(group,)))
    assert once[f"worker_{group.name}"] == f"/var/log/poli/celery_worker_{group.name}.log"
