"""docs/performance-results.md is what bench/report.py makes of the committed results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402 - bench/ is on the path just above
import report  # noqa: E402


def test_the_committed_page_is_what_the_committed_results_give():
    assert (ROOT / "docs" / "performance-results.md").read_text() == report.render()


def test_the_check_fails_when_a_result_changes(tmp_path: Path):
    bench = tmp_path / "bench"
    shutil.copytree(ROOT / "bench" / "results", bench / "results")
    for name in ("RESULTS.md", "LOAD.md"):
        shutil.copy(ROOT / "bench" / name, bench / name)
    newest = report.newest_targets(bench / "results")
    results = json.loads(newest.read_text())
    seconds = results["bulk"]["seconds"]
    seconds["send_many"]["median"] *= 2
    faster = seconds["apply_async loop"]["median"] / seconds["send_many"]["median"]
    later = bench / "results" / "targets-29991231T000000Z.json"
    later.write_text(json.dumps(results))
    page = report.render(bench)
    assert page != report.render()
    assert f"{faster:.1f}× faster" in page  # the loop's time over twice send_many's
    assert "targets-29991231T000000Z.json" in page


def test_the_load_page_is_its_newest_results_file(tmp_path: Path):
    bench = tmp_path / "bench"
    shutil.copytree(ROOT / "bench" / "results", bench / "results")
    shutil.copy(ROOT / "bench" / "LOAD.md", bench / "LOAD.md")
    assert report.load_is_rendered(bench)
    results = json.loads(load.newest(bench / "results").read_text())
    results["runs"][0]["lost"] = 1
    (bench / "results" / "load-29991231T000000Z.json").write_text(json.dumps(results))
    assert not report.load_is_rendered(bench)
    (bench / "LOAD.md").write_text(load.markdown(results))
    assert report.load_is_rendered(bench) and "| lost | 1 |" in (bench / "LOAD.md").read_text()


def test_make_docs_runs_the_check():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "report.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
