"""`make mutation`: after `mutmut run` over the core modules (the one list: `only_mutate` under
[tool.mutmut] in pyproject.toml), the score of each module: killed / all its mutants. A
mutant no selected test reaches counts as survived; a timeout counts as killed."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {"killed", "timeout"}


def module_of(mutant: str) -> str:
    """`engine.runtime.beat.store.xǁBeatStoreǁrenew__mutmut_8` -> `engine.runtime.beat.store`."""
    return re.split(r"\.x(?:_|ǁ)", mutant, maxsplit=1)[0]


def listed_modules() -> list[str]:
    """The modules `only_mutate` names, as dotted names (`engine.runtime.beat.store`)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    # a package's own module is named for the package: engine/model/__init__.py -> engine.model
    return [
        path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for path in config["only_mutate"]
    ]


def tally(lines: list[str]) -> dict[str, Counter]:
    by_module: dict[str, Counter] = {}
    for line in lines:
        mutant, sep, status = line.strip().rpartition(": ")
        if sep:
            by_module.setdefault(module_of(mutant), Counter())[status] += 1
    return by_module


def report(by_module: dict[str, Counter]) -> tuple[str, float]:
    rows = [
        f"{'module':32} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} {'score':>6}"
    ]
    lowest = 100.0
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        killed = sum(counts[s] for s in KILLED)
        score = 100.0 * killed / total if total else 100.0
        lowest = min(lowest, score)
        rows.append(
            f"{module:32} {total:>7} {killed:>7} {counts['survived']:>8} "
            f"{counts['no tests']:>8} {score:>5.1f}%"
        )
    return "\n".join(rows), lowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fail-under", type=float, default=0.0, help="lowest score per module")
    options = parser.parse_args()
    mutmut = Path(sys.executable).with_name("mutmut")
    done = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    by_module = tally(done.stdout.splitlines())
    text, lowest = report(by_module)
    print(text)
    missing = [name for name in listed_modules() if name not in by_module]
    if missing:  # a module moved or renamed would otherwise pass with nothing mutated
        print(f"no mutants for {', '.join(missing)}: update only_mutate", file=sys.stderr)
        return 1
    if lowest < options.fail_under:
        print(f"a module scores {lowest:.1f}%, under {options.fail_under:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
