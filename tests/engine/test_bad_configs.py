"""The corpus of bad configs: each case is the base config with one file replaced.

`expected.txt` in each case holds the whole `polictl validate` output; a worse
message or a wrong position fails the test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from polictl.main import cli

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
CASES = sorted(p.name for p in (CONFIGS / "bad").iterdir() if p.is_dir())


def listed_codes() -> dict[str, list[str]]:
    """`tests/configs/bad/codes.txt`: `case: code code ...`, the codes in output order."""
    lines = (CONFIGS / "bad" / "codes.txt").read_text().splitlines()
    pairs = [line.split(":", 1) for line in lines if line and not line.startswith("#")]
    return {case: codes.split() for case, codes in pairs}


CODES = listed_codes()


def make_case(case: str, tmp_path: Path) -> Path:
    target = tmp_path / case
    shutil.copytree(CONFIGS / "base", target)
    for item in (CONFIGS / "bad" / case).iterdir():
        if item.name != "expected.txt":
            shutil.copy(item, target / item.name)
    return target


def validate(config_dir: Path, *extra: str):
    return CliRunner().invoke(cli, ["-C", str(config_dir), "validate", *extra])


def test_base_config_is_valid():
    result = validate(CONFIGS / "base")
    assert (result.exit_code, result.output) == (0, "config is valid\n")


@pytest.mark.parametrize("case", CASES)
def test_bad_config_is_reported_at_its_position(case, tmp_path, monkeypatch):
    monkeypatch.delenv("POLI_TEST_SURELY_UNSET", raising=False)
    expected = (CONFIGS / "bad" / case / "expected.txt").read_text()
    result = validate(make_case(case, tmp_path))
    assert result.output == expected
    has_error = "error:" in expected
    assert result.exit_code == (1 if has_error else 0)
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("case", sorted(CODES))
def test_bad_config_json_gives_each_problem_its_code(case, tmp_path, monkeypatch):
    """`--format json` gives each problem the code tools filter on (`polictl validate`)."""
    monkeypatch.delenv("POLI_TEST_SURELY_UNSET", raising=False)
    result = validate(make_case(case, tmp_path), "--format", "json")
    assert [problem["code"] for problem in json.loads(result.output)] == CODES[case]
