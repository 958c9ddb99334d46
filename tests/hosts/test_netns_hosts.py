"""Three hosts on this machine, as network namespaces (see netns.py): Redis on `hub`, and the
supervisor bundles of host-b and host-c, rendered by `polictl render supervisor --all-hosts`
from tests/generators/configs/hosts, under a supervisord on each. Addresses exist inside the namespaces
only; the broker's password only in the environment file every bundle reads.

The story: `polictl ping` from the hub shows which hosts consume each queue; a task routed to
`edge` (consumed on host-b only) runs on host-b; with host-b's workers stopped, such tasks
wait in the broker (status shows them, and the host missing) and all run once it is back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import netns
import pytest

HERE = Path(__file__).resolve().parent
BIN = Path(sys.prefix) / "bin"
PORT = 16379  # inside the hub's own network stack: nothing else listens there
WORKERS = {"edge-1@host-b", "shared-1@host-b", "shared-1@host-c", "shared-2@host-c"}
OVERLAY = """\
deploy:
  user: ""
  group: ""
  working_directory: {config}
  virtualenv: {venv}
  environment_file: {root}/poli.env
  log_dir: {root}/logs
  state_dir: {root}/state
  flower: {{enabled: false}}
"""
SUPERVISORD_CONF = """\
[unix_http_server]
file={sockets}/{host}.sock

[supervisord]
logfile={root}/{host}/supervisord.log
pidfile={root}/{host}/supervisord.pid
childlogdir={root}/{host}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{sockets}/{host}.sock

[include]
files = {root}/bundles/{host}/poli.conf
"""


@pytest.fixture
def machines() -> Iterator[netns.Hosts]:
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)
    with netns.hosts("hub", "host-b", "host-c") as made:
        yield made


@pytest.fixture
def sockets() -> Iterator[Path]:
    """supervisord's control sockets: a short path (a unix socket's is at most 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="polins-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def queue_row(output: str, queue: str) -> str:
    return next(line.rstrip() for line in output.splitlines() if line.startswith(f"{queue} "))


def clean_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("POLI_")}, **extra}


@pytest.mark.timeout(280)
def test_work_runs_where_it_is_placed_and_waits_for_its_host(
    machines: netns.Hosts, sockets: Path, tmp_path: Path
) -> None:
    hosts, root = machines, tmp_path
    password = secrets.token_hex(12)
    url = f"redis://:{password}@{hosts.address('hub')}:{PORT}/0"
    config = root / "config"
    shutil.copytree(HERE.parent / "generators" / "configs" / "hosts", config)
    overlay = OVERLAY.format(config=config, venv=sys.prefix, root=root)
    (config / "queues.netns.yaml").write_text(overlay)
    (root / "poli.env").write_text(f"POLI_BROKER_URL={url}\n")
    (root / "poli.env").chmod(0o600)

    # The operator's render, with the broker URL set where it runs.
    polictl = [str(BIN / "polictl"), "-C", str(config), "-e", "netns"]
    render = subprocess.run(
        [*polictl, "render", "supervisor", "--all-hosts", "-o", str(root / "bundles")],
        env=clean_env(POLI_BROKER_URL=url), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert render.returncode == 0, render.stderr
    bundle = {h: (root / "bundles" / h / "poli.conf").read_text() for h in ("host-b", "host-c")}
    for text in bundle.values():
        assert password not in text and hosts.address("hub") not in text
        assert f". {root}/poli.env;" in text  # the same environment file on every host
    assert "[program:worker-edge]" in bundle["host-b"]
    assert "[program:worker-edge]" not in bundle["host-c"]
    assert "[program:beat]" in bundle["host-c"] and "[program:beat]" not in bundle["host-b"]

    # The broker on the hub; each host's supervisord with its own log and state dirs.
    (root / "redis").mkdir()
    redis = [shutil.which("redis-server") or str(BIN / "redis-server")]
    redis += ["--bind", hosts.address("hub"), "--port", str(PORT), "--requirepass", password]
    redis += ["--dir", str(root / "redis"), "--save", "", "--appendonly", "no"]
    hosts.spawn("hub", redis, root / "redis" / "redis.log")
    for shared in ("logs", "state"):
        (root / shared).mkdir()
    for host in ("host-b", "host-c"):
        for own in ("logs", "state"):
            (root / host / own).mkdir(parents=True)
        conf = root / host / "supervisord.conf"
        conf.write_text(SUPERVISORD_CONF.format(root=root, host=host, sockets=sockets))
        binds = {root / host / "logs": root / "logs", root / host / "state": root / "state"}
        supervisord = [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(conf)]
        hosts.spawn(host, supervisord, root / host / "out.log", clean_env(), binds)

    hub_env = clean_env(
        POLI_CONFIG_DIR=str(config), POLI_ENVIRONMENT="netns", POLI_BROKER_URL=url,
        POLI_DATA_DIR=str(root / "hub"),
    )  # fmt: skip

    def on_hub(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return hosts.run("hub", args, env=hub_env, timeout=timeout)

    def client(*args: str) -> object:
        done = on_hub(sys.executable, str(HERE / "hosts_client.py"), *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def ctl(host: str, *args: str) -> None:
        conf = root / host / "supervisord.conf"
        done = subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), *args],
                              capture_output=True, text=True, timeout=90)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

    try:
        wait_for(lambda: set(client("nodes")) >= WORKERS, 120, f"workers {sorted(WORKERS)}")

        ping = on_hub(*polictl, "ping", "--timeout", "20")
        rows = {line.split()[0]: line for line in ping.stdout.splitlines() if line.strip()}
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert " from host-b " in rows["edge"] and " host-b " in rows["edge"]
        assert "host-c" not in rows["edge"]
        assert " host-b, host-c " in rows["shared"]

        ran = on_hub(*polictl, "run", "edge.where", "--wait", "--timeout", "30")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert json.loads(ran.stdout.split("\n", 1)[1])["host"] == "host-b"

        ctl("host-b", "stop", "poli:*")  # host-b's workers, warm shutdown
        wait_for(lambda: not any(n.endswith("@host-b") for n in client("nodes")), 30, "no host-b")
        ids = client("send", "edge.where", "5")
        time.sleep(1)  # time enough to run, had anyone been consuming `edge`
        status = on_hub(*polictl, "status")
        edge = queue_row(status.stdout, "edge")
        assert edge.split()[1] == "5", status.stdout  # all five wait in the broker
        assert edge.endswith("none (missing: host-b)"), edge
        assert "problem: queue edge has no consumer on host host-b" in status.stdout

        ctl("host-b", "start", "poli:*")
        results = client("collect", json.dumps(ids), "120")
        assert [r["host"] for r in results] == ["host-b"] * 5  # none lost, all on host-b
    except BaseException:
        for log in sorted(root.glob("host-*/**/*.log")):
            print(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}")
        raise


def test_namespaces_and_their_processes_are_gone_afterwards(machines: netns.Hosts) -> None:
    """The fixture's own cleanup, checked: a process that ignores TERM and a namespace each."""
    names = [machines.namespace(h) for h in machines.names]
    stubborn = machines.spawn("host-b", ["sh", "-c", "trap '' TERM; sleep 600"], Path("/dev/null"))
    assert machines.run("host-c", ["hostname"]).stdout == "host-c\n"
    machines.grace = 1
    machines.destroy()
    assert stubborn.poll() is not None
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(name in listed for name in names)


def test_without_root_the_test_says_why_it_skips() -> None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to drop to an unprivileged user")
    code = "import netns; print(netns.unavailable())"
    done = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        cwd=HERE, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.stdout == (
        "network namespaces need root (ip netns add); run the suite as root to include this test\n"
    ), done.stderr
