"""Rendered files equal the reviewed ones under tests/golden/<format>/<case>/.

Regenerate them only on purpose with `make golden` (tests/update_golden.py), then review the
diff it prints. The tests never write them, and refuse to run with POLI_UPDATE_GOLDEN set.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from render_cases import EXTERNAL_BROKER, GOLDEN, GOLDEN_CASES, ROOT, load_case, read_tree

from generators.formats import RENDERERS

FULL = {"kubernetes": "cluster"}  # the case with every feature, per format


@pytest.mark.parametrize(("fmt", "case"), GOLDEN_CASES)
def test_rendered_files_match_golden(fmt: str, case: str) -> None:
    files = RENDERERS[fmt](load_case(case))
    assert files == read_tree(GOLDEN / fmt / case), (
        "rendered output changed: `make golden` and review the diff"
    )


def test_the_golden_tests_refuse_to_run_with_the_update_variable() -> None:
    """The old way (`POLI_UPDATE_GOLDEN=1 pytest`) wrote each golden, then compared it with
    itself: every golden test passed by construction. Now the session refuses to start."""
    golden = GOLDEN / "systemd" / "full"
    before = read_tree(golden)
    test = f"{__file__}::test_rendered_files_match_golden"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", test],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "POLI_UPDATE_GOLDEN": "1"},
    )  # fmt: skip
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "POLI_UPDATE_GOLDEN is set" in done.stderr and "make golden" in done.stderr
    assert " passed" not in done.stdout and read_tree(golden) == before


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_rendering_is_deterministic(fmt: str) -> None:
    case = FULL.get(fmt, "full")
    first, second = RENDERERS[fmt](load_case(case)), RENDERERS[fmt](load_case(case))
    assert first == second
    assert list(first) == sorted(first)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_secret_is_ever_written(fmt: str) -> None:
    files = RENDERERS[fmt](load_case("stack", broker_url=EXTERNAL_BROKER))
    for text in files.values():
        assert "s3cret" not in text
        if fmt != "kubernetes":  # KEDA's redis trigger needs the host:port (not a secret)
            assert "broker.internal" not in text


def test_stop_timeouts_come_from_the_longest_time_limit() -> None:
    files = RENDERERS["systemd"](load_case("full"))
    unit = files["poli-worker-alerts@.service"]
    assert "# longest time_limit routed here: alerts.cleanup 900s + 30s margin\n" in unit
    assert "TimeoutStopSec=930\n" in unit
    conf = RENDERERS["supervisor"](load_case("full"))["poli.conf"]
    assert "stopwaitsecs=1830\n" in conf  # reports.export: 30m + 30s
    compose = RENDERERS["compose"](load_case("full"))["compose.yaml"]
    assert "stop_grace_period: 330s\n" in compose  # default.echo: 5m + 30s


def test_empty_user_means_the_current_user() -> None:
    conf = RENDERERS["supervisor"](load_case("stack"))["poli.conf"]
    assert "\nuser=" not in conf
