"""`make golden`: rewrite every golden file from the code as it is, then print the diff to
review before committing. The golden tests only compare (they refuse to run with
POLI_UPDATE_GOLDEN set), so no golden file is ever compared with itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS / "generators"), str(TESTS / "engine"), str(TESTS.parent)]

from render_cases import GOLDEN, GOLDEN_CASES, GOLDEN_HOSTS, ROOT, load_case  # noqa: E402
from test_config_cmd import CASE, polictl  # noqa: E402

from generators.formats import RENDERERS  # noqa: E402
from polictl.files import write_tree  # noqa: E402
from polictl.render_hosts import HOST_FORMATS, host_files  # noqa: E402


def rendered() -> dict[Path, dict[str, str]]:
    """Each golden directory -> the files the generators render for it now."""
    trees = {GOLDEN / fmt / case: RENDERERS[fmt](load_case(case)) for fmt, case in GOLDEN_CASES}
    for fmt in HOST_FORMATS:
        for host in GOLDEN_HOSTS:
            trees[GOLDEN / "hosts" / fmt / host] = host_files(fmt, load_case("hosts"), host)
    return trees


def main() -> int:
    for directory, files in rendered().items():
        shutil.rmtree(directory, ignore_errors=True)
        write_tree(directory, files)
    config = polictl("-e", "production", "config")  # the case test_config_cmd.py compares
    if config.exit_code != 0:
        print(config.output, file=sys.stderr)
        return 1
    (CASE / "expected.txt").write_text(config.output)
    paths = [str(GOLDEN.relative_to(ROOT)), str((CASE / "expected.txt").relative_to(ROOT))]
    print("golden files regenerated; review before committing:", flush=True)
    for args in (["diff", "--stat"], ["status", "--short"], ["diff"]):  # status: new files
        subprocess.run(["git", "--no-pager", *args, "--", *paths], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
