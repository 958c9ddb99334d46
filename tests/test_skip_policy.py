"""The skip policy (tests/skip_policy.py) in a real pytest run of its own: an unlisted skip
fails the session and is named, a listed one passes, an entry without its why is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from skip_policy import ALLOWED, read_allowed

HERE = Path(__file__).resolve().parent
CONFTEST = """\
from pathlib import Path
import skip_policy

def pytest_configure(config):
    skip_policy.register(config, Path(__file__).with_name("allowed.txt"))
"""
TESTS = """\
import pytest

def test_runs():
    pass

def test_needs_a_service():
    pytest.skip("the service is not running")
"""


def run(tmp_path: Path, allowed: str, strict: str | None = "1") -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "conftest.py").write_text("")  # as tests/app: hooks per directory
    (tmp_path / "inner" / "test_inner.py").write_text(TESTS)
    (tmp_path / "allowed.txt").write_text(allowed)
    env = {k: v for k, v in os.environ.items() if k != "POLI_STRICT_SKIPS"}
    env["PYTHONPATH"] = str(HERE)
    if strict is not None:
        env["POLI_STRICT_SKIPS"] = strict
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]  # with randomly, as CI
    return subprocess.run(
        [*command, "-q", "-rs", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_an_unlisted_skip_fails_the_session_and_is_named(tmp_path: Path) -> None:
    done = run(tmp_path, "# nothing allowed\n")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout
    assert "skipped, not on skips_allowed.txt (POLI_STRICT_SKIPS=1)" in done.stdout
    assert "inner/test_inner.py::test_needs_a_service: the service is not running" in done.stdout


@pytest.mark.parametrize(
    "entry",
    [
        "the service is not running  # the reason, whole\n",
        "*::test_needs_a_service  # the test id, by glob\n",
    ],
)
def test_a_listed_skip_passes(tmp_path: Path, entry: str) -> None:
    done = run(tmp_path, entry)
    assert done.returncode == pytest.ExitCode.OK, done.stdout
    assert "1 passed, 1 skipped" in done.stdout


def test_without_the_variable_a_skip_is_only_reported(tmp_path: Path) -> None:
    done = run(tmp_path, "", strict=None)
    assert done.returncode == pytest.ExitCode.OK, done.stdout


def test_an_entry_without_its_why_is_refused(tmp_path: Path) -> None:
    done = run(tmp_path, "the service is not running\n")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "allowed.txt:1: an allowed skip says why: `PATTERN  # why`" in done.stderr


def test_the_allow_list_is_short_and_says_why_for_each_entry() -> None:
    entries = read_allowed(ALLOWED)
    assert 0 < len(entries) <= 10
    assert all(len(entry.why) >= 20 for entry in entries)
    assert not any("PostgreSQL" in entry.pattern for entry in entries)  # CI starts it
