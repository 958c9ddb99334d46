"""`make mutation-sample` (CI): a fixed sample of the mutants of every module `only_mutate`
lists (pyproject.toml), and every sampled mutant must be killed.

The sample is chosen by name, so it changes only when the code does: per module, the
SAMPLE_SIZE mutants whose names hash lowest (sha256), leaving out the mutants
tests/mutation_equivalent.txt lists as equivalent. mutmut generates the mutants and maps
tests to functions once (a first `mutmut run` with a name that matches none), then runs the
sampled mutants alone (`mutmut run NAME...`). Fails on a sampled survivor (printed as
`mutmut show` prints it), on a module without mutants, and on a listed name that is no
mutant any more (the list went stale)."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from mutation_report import KILLED, ROOT, listed_modules, module_of

SAMPLE_SIZE = 25
EQUIVALENT = ROOT / "tests" / "mutation_equivalent.txt"
NO_MATCH = "poli-sample-lists-the-mutants-only*"  # a first `mutmut run` that runs no mutant
HINT = (
    "each one is a change to the code that no selected test notices: add a test that fails "
    "with it (a behaviour a user relies on), or, if no input can tell it from the original, "
    "list its name in tests/mutation_equivalent.txt with `  # why`"
)


@dataclass(frozen=True)
class Listed:
    """One line of tests/mutation_equivalent.txt: `NAME  # why`."""

    name: str
    why: str
    line: int


def read_equivalent(text: str) -> tuple[list[Listed], list[str]]:
    """The listed mutants, and a problem per line that is not `NAME  # why`."""
    listed, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, why = line.partition("  # ")
        if not why.strip() or " " in name.strip():
            problems.append(f"{number}: not `MUTANT_NAME  # why`: {line.strip()}")
        else:
            listed.append(Listed(name.strip(), why.strip(), number))
    return listed, problems


def rank(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def choose(names: Iterable[str], equivalent: Collection[str], size: int) -> list[str]:
    """Per module, the `size` mutants not listed as equivalent whose names hash lowest."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in names:
        if name not in equivalent:
            by_module[module_of(name)].append(name)
    return sorted(name for group in by_module.values() for name in sorted(group, key=rank)[:size])


def problems(names: Collection[str], modules: Iterable[str], listed: Iterable[Listed]) -> list[str]:
    """What makes the sample mean less than it says: a module without mutants, a stale name."""
    found = {module_of(name) for name in names}
    out = [
        f"{module}: no mutants (moved or renamed? update only_mutate)"
        for module in modules
        if module not in found
    ]
    out += [
        f"{EQUIVALENT.name}:{entry.line}: {entry.name} is no mutant any more: remove the line "
        "(the code changed; if the mutant moved, list it under its new name)"
        for entry in listed
        if entry.name not in names
    ]
    return out


def statuses(results_text: str) -> dict[str, str]:
    """`mutmut results --all true` lines (`    NAME: status`) as {name: status}."""
    out = {}
    for line in results_text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            out[name] = status
    return out


def survivors(status_by_name: dict[str, str], sample: Iterable[str]) -> list[str]:
    """The sampled mutants not killed (survived, no tests, not checked, suspicious...)."""
    return [name for name in sample if status_by_name.get(name) not in KILLED]


def mutmut(*args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def all_mutants(children: str) -> dict[str, str]:
    """Generate the mutants and the test map (mutmut run with a name that matches none)."""
    first = mutmut("run", "--max-children", children, NO_MATCH)
    found = statuses(mutmut("results", "--all", "true").stdout)
    if not found or "nothing matches" not in first.stdout + first.stderr:
        print(first.stdout, first.stderr, sep="\n", file=sys.stderr)
        raise SystemExit("mutation-sample: mutmut did not generate the mutants (output above)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=SAMPLE_SIZE, help="mutants per module")
    parser.add_argument("--max-children", default="2")
    options = parser.parse_args()
    listed, bad_lines = read_equivalent(EQUIVALENT.read_text() if EQUIVALENT.exists() else "")
    names = all_mutants(options.max_children)
    wrong = [f"{EQUIVALENT.name}:{line}" for line in bad_lines]
    wrong += problems(names, listed_modules(), listed)
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        return 1
    sample = choose(names, {entry.name for entry in listed}, options.size)
    run = mutmut("run", "--max-children", options.max_children, *sample)
    status_by_name = statuses(mutmut("results", "--all", "true").stdout)
    left = survivors(status_by_name, sample)
    print(f"{len(sample)} mutants sampled from {len(names)}; {len(sample) - len(left)} killed")
    if not left:
        return 0
    if run.returncode:
        print(run.stdout, run.stderr, sep="\n", file=sys.stderr)
    for name in left:  # as `mutmut show` prints it: `# NAME: status`, then the diff
        shown = mutmut("show", name)
        print(shown.stdout if shown.returncode == 0 else f"# {name}: {status_by_name.get(name)}")
    print(f"{len(left)} sampled mutants not killed: {HINT}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
