"""poli's time rule against two independent implementations, croniter and cronsim, on a
corpus of a few hundred expressions (tests/engine/cron_corpus.py) in four zones, from an
ordinary day and from around every DST change of 2026-2027.

Each case compares the next fire times from one start. Where an oracle disagrees,
one of the differences documented in docs/scheduling-differences.md (listed below,
each with a test of when it applies) must explain it; any other disagreement fails.
A documented difference that no longer occurs fails too, so the list stays true.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from cron_corpus import HAND_WRITTEN, generated
from croniter import croniter
from cronsim import CronSim
from model_values import schedule

from engine.model.cron import FIELDS, normalise
from engine.model.schedule_times import next_runs

COUNT = 5  # fire times compared per case
ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe"]
EXPRESSIONS = HAND_WRITTEN + generated(300)
AROUND = [-90, -16, 1, 31]  # minutes from a DST change to a start (one per case, in turn)


def changes(zone: str) -> list[datetime]:
    """The instants the zone's UTC offset changes in 2026-2027 (all on the half hour)."""
    tz, found, moment = ZoneInfo(zone), [], datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year < 2028:
        after = moment + timedelta(minutes=30)
        if after.astimezone(tz).utcoffset() != moment.astimezone(tz).utcoffset():
            found.append(after)
        moment = after
    return found


CHANGES = {zone: changes(zone) for zone in ZONES}


@dataclass(frozen=True)
class Case:
    expression: str
    zone: str
    start: datetime
    poli: tuple[datetime, ...]
    oracle: tuple[datetime, ...] | str  # its fire times, or the error it raised

    @property
    def fields(self) -> list[str]:
        return [] if self.expression.startswith("@") else self.expression.lower().split()

    @property
    def wildcard(self) -> bool:
        return bool(self.fields) and (self.fields[0][0] == "*" or self.fields[1][0] == "*")

    def spans_a_change(self, whole_hours: bool | None = None, before: int = 0) -> bool:
        """A change of offset between the start (less `before` hours) and the last time."""
        times = [*self.poli, *(self.oracle if isinstance(self.oracle, tuple) else ())]
        end = max(times, default=self.start)
        tz = ZoneInfo(self.zone)
        for change in CHANGES[self.zone]:
            shift = (
                change.astimezone(tz).utcoffset()
                - (change - timedelta(minutes=1)).astimezone(tz).utcoffset()
            )
            whole = shift % timedelta(hours=1) == timedelta(0)
            if self.start - timedelta(hours=before) < change <= end and whole_hours in (
                None,
                whole,
            ):
                return True
        return False


def terms(case: Case) -> list[tuple[int, str]]:
    return [(i, term) for i, field in enumerate(case.fields) for term in field.split(",")]


def _number(text: str, field: int) -> int:
    return int(text) if text.isdigit() else FIELDS[field].names[text]


def _equal_range(case: Case) -> bool:
    ranges = [(i, t.split("/")[0].split("-")) for i, t in terms(case) if "-" in t]
    return any(_day(a, i) == _day(b, i) for i, (a, b) in ranges)


def _day(text: str, field: int) -> int:
    return _number(text, field) % 7 if field == 4 else _number(text, field)


def _late_step(case: Case) -> bool:
    found = [(i, *t.split("/")) for i, t in terms(case) if re.match(r"^\w+/\d+$", t)]
    return any(
        _number(n, i) + int(s) > FIELDS[i].high or (i == 4 and (7 - _number(n, i)) % int(s) == 0)
        for i, n, s in found
    )


def _star_step_day(case: Case) -> bool:
    """Both day fields other than `*`, and one holds a `*/n` term or a wrapping range."""
    if not case.fields or "*" in (case.fields[2], case.fields[4]):
        return False
    days = [(i, t) for i, t in terms(case) if i in (2, 4)]
    return any(t.startswith("*") for _, t in days) or any(_wrap(i, t) for i, t in days)


def _wrap(field: int, term: str) -> bool:
    if "-" not in term:
        return False
    low, high = term.split("/")[0].split("-")
    return _number(low, field) > _number(high, field)


def _before_start(case: Case) -> bool:
    local = case.start.astimezone(ZoneInfo(case.zone))
    return (
        not case.wildcard and local.fold == 1 and isinstance(case.oracle, tuple)
    ) and case.oracle[0] <= case.start


# (name, applies to the case) for each oracle: docs/scheduling-differences.md explains them
KNOWN: dict[str, list[tuple[str, Callable[[Case], bool]]]] = {
    "croniter": [
        ("croniter-dst", lambda c: c.spans_a_change(before=1)),
        ("croniter-star-step-day-or", _star_step_day),
        (
            "croniter-never-day",
            lambda c: c.oracle == "CroniterBadDateError" and len(c.poli) == COUNT,
        ),
        ("croniter-step-from-late-value", _late_step),
        ("croniter-single-value-range", _equal_range),
    ],
    "cronsim": [
        ("cronsim-before-start", _before_start),
        ("cronsim-half-hour-dst", lambda c: c.spans_a_change(whole_hours=False, before=3)),
    ],
}
# Forms an oracle cannot read: it is given poli's normal form (engine.model.cron) instead
_FULL_NAME = re.compile(r"[a-z]{4,}")
SYNTAX_GAPS: dict[str, Callable[[str], bool]] = {
    "croniter": lambda e: not e.startswith("@") and bool(_FULL_NAME.search(e.lower())),
    "cronsim": lambda e: e.startswith("@") or bool(_FULL_NAME.search(e.lower())) or _wraps(e),
}


def _wraps(expression: str) -> bool:
    return any(_wrap(i, t) for i, t in terms(Case(expression, "UTC", datetime.now(UTC), (), ())))


def _run(oracle: str, expression: str, zone: str, start: datetime) -> tuple[datetime, ...] | str:
    local = start.astimezone(ZoneInfo(zone))
    try:
        if oracle == "croniter":
            it = croniter(expression, local)
            return tuple(it.get_next(datetime).astimezone(UTC) for _ in range(COUNT))
        sim = CronSim(expression, local)
        return tuple(next(sim).astimezone(UTC) for _ in range(COUNT))
    except Exception as problem:  # the oracle's own failure is a result to compare
        return type(problem).__name__


def starts(index: int, zone: str) -> list[datetime]:
    ordinary = datetime(2026, 6, 15, 10, 7, 30, tzinfo=UTC) + timedelta(days=37 * index % 500)
    return [ordinary] + [
        change + timedelta(minutes=AROUND[(index + j) % 4], seconds=30)
        for j, change in enumerate(CHANGES[zone])
    ]


@cache
def cases(oracle: str) -> tuple[Case, ...]:
    out = []
    for index, expression in enumerate(EXPRESSIONS):
        normal = " ".join(normalise(expression))
        given = normal if SYNTAX_GAPS[oracle](expression) else expression
        for zone in ZONES:
            for start in starts(index, zone):
                rule = schedule("job", "system.ping", "system", cron=normal, timezone=zone)
                poli = tuple(t.astimezone(UTC) for t in next_runs(rule, COUNT, start))
                out.append(Case(expression, zone, start, poli, _run(oracle, given, zone, start)))
    return tuple(out)


@pytest.mark.parametrize("oracle", ["croniter", "cronsim"])
def test_poli_agrees_with_the_oracle_except_where_documented(oracle):
    all_cases = cases(oracle)
    differ = [case for case in all_cases if case.oracle != case.poli]
    found = Counter(name for case in differ for name, applies in KNOWN[oracle] if applies(case))
    unexplained = [case for case in differ if not any(a(case) for _, a in KNOWN[oracle])]
    print(
        f"\n{oracle}: {len(all_cases) - len(differ)} of {len(all_cases)} cases agree; "
        f"{len(differ)} differ, explained by {dict(found)}"
    )
    assert unexplained == [], "\n".join(map(str, unexplained[:10]))
    assert sorted(found) == sorted(name for name, _ in KNOWN[oracle])  # each one still occurs


@pytest.mark.parametrize("oracle", ["croniter", "cronsim"])
def test_the_oracles_refuse_the_forms_listed_as_gaps(oracle):
    gaps = [e for e in EXPRESSIONS if SYNTAX_GAPS[oracle](e)]
    start = datetime(2027, 1, 1, tzinfo=UTC)
    assert gaps and all(isinstance(_run(oracle, e, "UTC", start), str) for e in gaps)


def test_the_corpus_is_a_few_hundred_expressions_of_every_form():
    assert len(set(EXPRESSIONS)) == len(EXPRESSIONS) >= 350
    text = " ".join(EXPRESSIONS).lower()
    for form in ("monday", "sun", "jan", "fri-mon", "22-2", "5/15", "1-23/2", "@yearly", " 7"):
        assert form in text


def test_every_expression_is_described_and_previewed():
    """`polictl schedules` describes and previews whatever `validate` accepted
    (`0 0 1 * 1,*/3` and `* * * * *,0` once made it fail for the whole config)."""
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for expression in EXPRESSIONS:
        rule = schedule("job", "system.ping", "system", cron=" ".join(normalise(expression)))
        assert rule.describe() and len(rule.next_runs(3, start)) == 3, expression
