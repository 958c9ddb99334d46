"""Five-field cron expressions: checked field by field, normalised to numbers.

Celery's crontab knows no month names; it and engine.model.schedule_times (the one time
rule, which beat and the preview use) get the numeric form this module produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: dict[str, int]

    @property
    def range_text(self) -> str:
        text = f"{self.low}-{self.high}"
        if self.names:
            words = list(self.names)
            text += f" or {words[0]}-{words[-1]}"
        return text


FIELDS = (
    Field("minute", 0, 59, {}),
    Field("hour", 0, 23, {}),
    Field("day of month", 1, 31, {}),
    Field("month", 1, 12, {m: i + 1 for i, m in enumerate(MONTHS)}),
    Field("day of week", 0, 6, {d: i for i, d in enumerate(DAYS)}),
)
_TERM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")


class CronError(ValueError):
    pass


def _value(token: str, field: Field) -> int:
    number = field.names.get(token) if not token.isdigit() else int(token)
    if number is None or not field.low <= number <= field.high:
        raise CronError(f"{field.name} value {token!r} is out of range ({field.range_text})")
    return number


def _term(term: str, field: Field) -> str:
    match = _TERM.match(term)
    if not match:
        raise CronError(f"{field.name} field {term!r} is not a number, range, list or step")
    base, step = match.groups()
    if step is not None and int(step) == 0:
        raise CronError(f"{field.name} step in {term!r} must be at least 1")
    if base == "*":
        text = "*"
    elif "-" in base:
        low, high = (_value(part, field) for part in base.split("-"))
        if low > high:
            raise CronError(f"{field.name} range {base!r} runs backwards")
        text = f"{low}-{high}"
    else:
        text = str(_value(base, field))
    return f"{text}/{step}" if step else text


@lru_cache(maxsize=4096)  # a large config repeats the same few expressions
def normalise(expression: str) -> tuple[str, ...]:
    """The five fields with names replaced by numbers; CronError says which field is wrong."""
    parts = expression.lower().split()
    if len(parts) != 5:
        raise CronError(
            f"cron expression {expression!r} has {len(parts)} fields, expected 5 "
            "(minute hour day-of-month month day-of-week)"
        )
    return tuple(
        ",".join(_term(term, field) for term in part.split(","))
        for part, field in zip(parts, FIELDS, strict=True)
    )
