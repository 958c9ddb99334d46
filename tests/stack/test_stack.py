"""The operator's story: up, status, ping, run, a crash and its recovery, purge, down."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import urllib.error
import urllib.request

import pytest
from stack_helpers import POLICTL, Stack, wait_for

from polictl.stack.processes import _alive


def _program(stack: Stack, prefix: str):
    return next(p for p in stack.supervisor().programs() if p.name.startswith(prefix))


def test_embedded_stack_runs_answers_recovers_and_stops_clean(stack: Stack) -> None:
    started = stack.polictl("up", "--detach", "--flower", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"logs:    {stack.data_dir}/logs" in started.stdout
    assert (stack.data_dir / "redis" / "redis.sock").is_socket()

    status = stack.polictl("status")
    assert status.returncode == 0, status.stdout + status.stderr
    for program in ("redis", "poli:beat", "poli:flower", "poli:worker-default_01"):
        assert program in status.stdout
    assert f"redis+socket://{stack.data_dir}/redis/redis.sock  reachable" in status.stdout
    assert "everything declared is running" in status.stdout

    # supervisord calls a worker RUNNING after startsecs; on a loaded machine it may still be
    # connecting then. Ping until every queue answers (bounded), as an operator would.
    pings = []
    assert wait_for(
        lambda: pings.append(stack.polictl("ping", "--timeout", "10")) or pings[-1].returncode == 0,
        90,
        interval=1,
    ), pings[-1].stdout + pings[-1].stderr
    ping = pings[-1]
    for queue in ("default", "alerts", "reports", "system"):
        assert f"{queue} " in ping.stdout
    assert ping.stdout.count(" ok ") == 4

    ran = stack.polictl("run", "system.ping", "--wait", "--timeout", "20")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    reply = json.loads(ran.stdout.split("\n", 1)[1])
    assert reply["pong"] is True and reply["pid"] != _program(stack, "worker-system").pid

    flower = stack.polictl("status").stdout  # Flower reads the same socket broker
    assert "flower" in flower
    port = (
        next(
            line
            for line in (stack.config_dir / "queues.yaml").read_text().splitlines()
            if "flower:" in line
        )
        .split("port: ")[1]
        .rstrip("}")
    )
    broker_page = urllib.request.Request(f"http://127.0.0.1:{port}/broker")
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(broker_page, timeout=5)
    password = (stack.data_dir / "web-password").read_text().strip()
    token = base64.b64encode(f"admin:{password}".encode()).decode()
    broker_page.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(broker_page, timeout=5) as page:
        assert b"redis+socket://" in page.read()

    # A worker dies hard: status says so, supervisord brings it back.
    victim = _program(stack, "worker-default")
    os.kill(victim.pid, signal.SIGKILL)
    assert wait_for(lambda: stack.polictl("status").returncode == 1, 10)
    assert wait_for(lambda: stack.polictl("status").returncode == 0, 30)
    assert _program(stack, "worker-default").pid != victim.pid

    purged = stack.polictl("purge", "default", "--yes")
    assert purged.returncode == 0 and "purged 0 message(s) from default" in purged.stdout

    pids = stack.pids()
    assert len(pids) >= 8  # supervisord, redis, 4 workers (+ pool children), beat, flower
    down = stack.polictl("down", timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert [pid for pid in pids if _alive(pid)] == []
    assert stack.polictl("status").returncode == 1
    # Messages, results, logs: nothing under the data dir is for other local users.
    assert stat.S_IMODE(stack.data_dir.stat().st_mode) == 0o700
    files = [p for p in stack.data_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"appendonly.aof.1.incr.aof", "celery_beat.log"}
    assert [p for p in files if p.stat().st_mode & 0o007] == []


def test_explicit_broker_url_runs_no_redis_of_its_own(stack: Stack, redis_url: str) -> None:
    stack.env |= {"POLI_BROKER_URL": redis_url, "POLI_RESULT_BACKEND": redis_url}
    started = stack.polictl("up", "--detach", "system", "beat", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    assert [p.name for p in stack.supervisor().programs()] == ["beat", "worker-system_01"]
    assert not (stack.data_dir / "redis").exists()

    ran = stack.polictl("run", "system.ping", "--wait", "--timeout", "20")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '"pong": true' in ran.stdout

    status = stack.polictl("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "reachable" in status.stdout and redis_url.split("//")[1] in status.stdout


def test_foreground_stack_pings_restarts_and_stops_on_ctrl_c(stack: Stack) -> None:
    log = (stack.data_dir.parent / "up.out").open("w")
    up = subprocess.Popen(
        [POLICTL, "-C", str(stack.config_dir), "up", "default", "beat"],
        env=stack.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a terminal's foreground job: Ctrl-C reaches it alone
    )
    try:
        assert wait_for(lambda: stack.polictl("status").returncode == 0, 40)
        supervisord = stack.supervisor().pid()
        assert open(f"/proc/{supervisord}/stat").read().split()[3] == str(up.pid)

        # Only `default` has a worker: ping names every other queue and fails.
        ping = stack.polictl("ping", "--timeout", "3")
        assert ping.returncode == 1
        lines = {line.split()[0]: line for line in ping.stdout.splitlines() if line.strip()}
        assert " ok " in lines["default"]
        for queue in ("alerts", "reports", "system"):
            assert "no worker consumes this queue" in lines[queue]
        assert "failed: alerts, reports, system" in ping.stdout

        before = _program(stack, "worker-default").pid
        restarted = stack.polictl("restart", "default")
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        assert _program(stack, "worker-default").pid != before

        pids = stack.pids()
        up.send_signal(signal.SIGINT)
        assert up.wait(60) == 0
        assert [pid for pid in pids if _alive(pid)] == []
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        log.close()
    # poli speaks for itself: what started, where the logs are, how to stop; supervisord's
    # own lines (CRIT "running as root", "without any HTTP authentication") stay in its log.
    said = (stack.data_dir.parent / "up.out").read_text()
    assert "started: poli:beat, poli:worker-default_01, redis\n" in said, said
    assert f"logs:    {stack.data_dir}/logs" in said
    assert "stop:    Ctrl-C (running tasks finish)" in said and said.endswith("stopped\n")
    assert "CRIT" not in said and "INFO" not in said, said
    supervisord_log = (stack.data_dir / "logs" / "supervisord.log").read_text()
    assert "CRIT" not in supervisord_log and "stopped: beat" in supervisord_log
