"""`polictl render prometheus`: alerting rules from each schedule's own period, accepted by
`promtool check rules` (Debian's prometheus package; .ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from render_cases import ROOT, load_case

from engine.config import load
from generators.prometheus import render_prometheus


def rules_of(platform) -> list[dict]:
    text = render_prometheus(platform)["poli-rules.yml"]
    return yaml.safe_load(text)["groups"][0]["rules"]


def test_each_schedule_is_expected_within_its_own_period():
    platform = load(ROOT).platform
    rules = {
        r["labels"].get("schedule"): r for r in rules_of(platform) if "schedule" in r["labels"]
    }
    assert sorted(rules) == sorted(s.name for s in platform.enabled_schedules)
    hourly = rules["process-alerts"]  # 0 * * * *, alerts.process has a 10m time limit
    assert hourly["expr"] == (
        'time() - poli_schedule_last_success_timestamp_seconds{schedule="process-alerts"}'
        " > 4560"  # 1h + 10m + 6m grace (10% of the period, at least 5m)
    )
    weekly = rules["weekly-alerts"]["annotations"]["description"]
    assert weekly.startswith("weekly-alerts (alerts.weekly) runs at most 7d apart")
    shared = [r["alert"] for r in rules_of(platform) if "schedule" not in r["labels"]]
    assert shared == ["PoliScheduleLate", "PoliDeadLettersGrowing", "PoliBrokerDown", "PoliNoBeat"]


@pytest.mark.parametrize("case", ["full", "stack", "cluster", "hosts"])
def test_promtool_accepts_the_rules(case, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is missing: apt-get install -y prometheus (.ci/run does)")
    path = tmp_path / "poli-rules.yml"
    path.write_text(render_prometheus(load_case(case))["poli-rules.yml"])
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
