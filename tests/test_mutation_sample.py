"""`make mutation-sample`'s choices on fixed mutant names (tests/mutation_sample.py): the
sample is the same for the same names, leaves out the listed equivalents, has at most N per
module, fails on a survivor, a stale listed name or a module without mutants; and the
shared list itself names mutants of the modules `only_mutate` lists, each with its why."""

from __future__ import annotations

import hashlib

from mutation_report import listed_modules, module_of
from mutation_sample import (
    EQUIVALENT,
    choose,
    problems,
    read_equivalent,
    statuses,
    survivors,
)

DURATIONS = [f"engine.durations.x_parse_duration__mutmut_{n}" for n in range(1, 41)]
STORE = [f"engine.runtime.beat.store.xǁBeatStoreǁrenew__mutmut_{n}" for n in range(1, 9)]


def lowest_hashes(names: list[str], size: int) -> list[str]:
    return sorted(sorted(names, key=lambda n: hashlib.sha256(n.encode()).digest())[:size])


def test_the_sample_is_the_lowest_hashes_per_module_and_does_not_depend_on_order():
    sample = choose(DURATIONS + STORE, equivalent=set(), size=5)
    assert sample == sorted(lowest_hashes(DURATIONS, 5) + lowest_hashes(STORE, 5))
    assert choose(list(reversed(STORE + DURATIONS)), set(), 5) == sample
    # a module with fewer mutants than the size gives all of them
    assert set(choose(STORE, set(), 30)) == set(STORE)


def test_a_listed_equivalent_is_never_sampled_and_the_next_one_takes_its_place():
    first = choose(DURATIONS, set(), 5)
    sample = choose(DURATIONS, {first[0]}, 5)
    assert first[0] not in sample and len(sample) == 5
    assert sample == lowest_hashes([n for n in DURATIONS if n != first[0]], 5)


def test_a_sampled_survivor_or_an_untested_mutant_fails_the_sample():
    sample = choose(DURATIONS, set(), 5)
    results = "\n".join(f"    {name}: killed" for name in DURATIONS)
    assert survivors(statuses(results), sample) == []
    results = results.replace(f"{sample[2]}: killed", f"{sample[2]}: survived")
    results = results.replace(f"{sample[4]}: killed", f"{sample[4]}: no tests")
    assert survivors(statuses(results), sample) == [sample[2], sample[4]]
    # a timeout is a kill (the tests hang with the mutant); a mutant never run is not
    timeout = results.replace(f"{sample[2]}: survived", f"{sample[2]}: timeout")
    assert survivors(statuses(timeout), sample) == [sample[4]]
    assert survivors({}, sample[:1]) == sample[:1]


def test_a_stale_listed_name_and_a_module_without_mutants_are_named():
    listed, bad = read_equivalent(
        "# engine/durations.py\n\n"
        f"{DURATIONS[0]}  # equivalent: n=1 and n=3 give the same best match\n"
        "engine.durations.x_gone__mutmut_1  # was equivalent\n"
    )
    assert bad == []
    found = problems(set(DURATIONS), ["engine.durations", "engine.moved"], listed)
    assert found == [
        "engine.moved: no mutants (moved or renamed? update only_mutate)",
        "mutation_equivalent.txt:4: engine.durations.x_gone__mutmut_1 is no mutant any more: "
        "remove the line (the code changed; if the mutant moved, list it under its new name)",
    ]
    assert problems(set(DURATIONS), ["engine.durations"], listed[:1]) == []


def test_a_listed_name_without_its_why_is_refused():
    listed, bad = read_equivalent(f"{DURATIONS[0]}\n{DURATIONS[1]}  #   \n{DURATIONS[2]}  # ok\n")
    assert [entry.name for entry in listed] == [DURATIONS[2]]
    assert bad == [
        f"1: not `MUTANT_NAME  # why`: {DURATIONS[0]}",
        f"2: not `MUTANT_NAME  # why`: {DURATIONS[1]}  #",
    ]


def test_the_shared_list_is_well_formed_and_names_listed_modules_only():
    listed, bad = read_equivalent(EQUIVALENT.read_text())
    assert bad == []
    names = [entry.name for entry in listed]
    assert len(names) == len(set(names)), "a mutant listed twice"
    modules = set(listed_modules())
    assert {module_of(name) for name in names} <= modules
