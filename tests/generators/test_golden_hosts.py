"""The bundle of each host of `hosts:` (configs/hosts): equal to the reviewed files under
tests/golden/hosts/<format>/<host>/, valid units, and only what is placed on that host.

Regenerate with `make golden` only on purpose, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from render_cases import GOLDEN, GOLDEN_HOSTS, load_case, local_deploy, read_tree
from test_systemd_verify import instances, verify

from polictl.files import write_tree
from polictl.render_hosts import HOST_FORMATS, all_host_files, host_files

HOSTS = GOLDEN_HOSTS


@pytest.mark.parametrize(("fmt", "host"), [(f, h) for f in HOST_FORMATS for h in HOSTS])
def test_host_bundles_match_golden(fmt: str, host: str) -> None:
    files = host_files(fmt, load_case("hosts"), host)
    assert files == read_tree(GOLDEN / "hosts" / fmt / host), (
        "rendered output changed: `make golden` and review the diff"
    )


@pytest.mark.parametrize("host", HOSTS)
def test_every_host_unit_verifies(host: str, tmp_path: Path) -> None:
    platform = local_deploy(load_case("hosts"), tmp_path)
    files = host_files("systemd", platform, host)
    write_tree(tmp_path / "units", files)
    result = verify(tmp_path / "units", instances(files))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_each_host_runs_what_is_placed_there_with_its_replicas() -> None:
    units = all_host_files("systemd", load_case("hosts"))
    assert sorted(units) == [
        "host-b/poli-worker-edge@.service",
        "host-b/poli-worker-shared@.service",
        "host-b/poli.target",
        "host-b/tmpfiles.d/poli.conf",
        "host-c/poli-beat.service",
        "host-c/poli-console.service",  # beside Flower
        "host-c/poli-flower.service",
        "host-c/poli-worker-shared@.service",
        "host-c/poli.target",
        "host-c/tmpfiles.d/poli.conf",
    ]
    wants = [line for line in units["host-c/poli.target"].splitlines() if line.startswith("Wants")]
    assert wants == [
        "Wants=poli-worker-shared@1.service",
        "Wants=poli-worker-shared@2.service",  # shared: 2 on host-c
        "Wants=poli-beat.service",
        "Wants=poli-flower.service",
        "Wants=poli-console.service",
    ]
    conf = all_host_files("supervisor", load_case("hosts"))
    assert (
        "numprocs=2\n" in conf["host-c/poli.conf"] and "numprocs=2" not in conf["host-b/poli.conf"]
    )
    assert "[program:beat]" not in conf["host-b/poli.conf"]
    assert "[program:flower]" not in conf["host-b/poli.conf"]


@pytest.mark.parametrize("fmt", HOST_FORMATS)
def test_every_bundle_reads_the_same_environment_file_and_no_secret(fmt: str) -> None:
    files = all_host_files(fmt, load_case("hosts"))
    for host in HOSTS:
        texts = [text for rel, text in files.items() if rel.startswith(f"{host}/")]
        assert any("/etc/poli/poli.env" in text for text in texts)
        assert not any("s3cret" in text or "broker.internal" in text for text in texts)
    env_lines = {line for t in files.values() for line in t.splitlines() if "poli.env" in line}
    assert {line for line in env_lines if "EnvironmentFile" in line} <= {
        "EnvironmentFile=/etc/poli/poli.env"
    }
