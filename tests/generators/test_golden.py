"""Rendered files equal the reviewed ones under tests/golden/<format>/<case>/.

Regenerate them only on purpose, then review the diff:
`POLI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/generators/test_golden.py`.
"""

from __future__ import annotations

import os
import shutil

import pytest
from render_cases import EXTERNAL_BROKER, GOLDEN, load_case

from generators.formats import RENDERERS
from polictl.files import write_tree

CASES = [(fmt, case) for fmt in sorted(RENDERERS) for case in ("full", "stack")]
# Kubernetes refuses `full`'s embedded broker; `cluster` has every `kubernetes:` key.
CASES = [c for c in CASES if c != ("kubernetes", "full")] + [("kubernetes", "cluster")]
FULL = {"kubernetes": "cluster"}  # the case with every feature, per format


@pytest.mark.parametrize(("fmt", "case"), CASES)
def test_rendered_files_match_golden(fmt: str, case: str) -> None:
    files = RENDERERS[fmt](load_case(case))
    golden = GOLDEN / fmt / case
    if os.environ.get("POLI_UPDATE_GOLDEN") == "1":
        shutil.rmtree(golden, ignore_errors=True)
        write_tree(golden, files)
    on_disk = {
        p.relative_to(golden).as_posix(): p.read_text() for p in golden.rglob("*") if p.is_file()
    }
    assert files == on_disk, (
        "rendered output changed: regenerate (module docstring) and review the diff"
    )


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
