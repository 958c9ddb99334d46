"""Modules that fit in one reading: none over 300 lines (tests and bench excepted)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 300


def test_no_module_is_over_300_lines():
    modules = [
        p for d in ("engine", "generators", "polictl", "handlers") for p in (ROOT / d).rglob("*.py")
    ]
    assert len(modules) > 20
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
