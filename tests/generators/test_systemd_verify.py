"""Every rendered unit passes `systemd-analyze verify`, which really fails on a bad unit.

`verify` exits 0 on unknown keys and unparsable values (it only warns), so the check is:
exit status 0 *and* nothing printed. ExecStart must exist, so the units are rendered
against this test virtualenv with the repo as working directory and user root.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from render_cases import load_case, local_deploy

from generators.systemd import render_systemd
from polictl.files import write_tree

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
pytestmark = pytest.mark.skipif(not Path(SYSTEMD_ANALYZE).exists(), reason="no systemd-analyze")


def verify(unit_dir: Path, units: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *units],
        cwd=unit_dir, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def instances(files: dict[str, str]) -> list[str]:
    """Unit names to verify: template units as their first instance."""
    units = [name.replace("@.service", "@1.service") for name in files if "/" not in name]
    return sorted(units)


@pytest.mark.parametrize("case", ["full", "stack"])
def test_every_rendered_unit_verifies(case: str, tmp_path: Path) -> None:
    files = render_systemd(local_deploy(load_case(case), tmp_path))
    write_tree(tmp_path / "units", files)
    result = verify(tmp_path / "units", instances(files))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Restart=always", "Restrat=always"),  # unknown key: a warning only, still caught
        ("Restart=always", "Restart=sometimes"),  # bad value
        ("/bin/celery ", "/bin/no-such-celery "),  # ExecStart does not exist
    ],
)
def test_verify_fails_on_a_broken_unit(old: str, new: str, tmp_path: Path) -> None:
    files = render_systemd(local_deploy(load_case("stack"), tmp_path))
    assert old in files["poli-beat.service"]
    files["poli-beat.service"] = files["poli-beat.service"].replace(old, new)
    write_tree(tmp_path / "units", files)
    result = verify(tmp_path / "units", ["poli-beat.service"])
    assert (result.returncode, result.stdout + result.stderr) != (0, "")
