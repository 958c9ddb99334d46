"""Five-field cron expressions as crontab(5) reads them: checked field by field,
normalised to numbers.

Accepted, as Vixie/Debian cron accept them: numbers, three-letter and full day and
month names (any case), `0` or `7` for Sunday, ranges (`1-5`) and ranges that wrap
(`fri-mon`, `22-2`), steps (`*/15`, `1-23/2`, and `5/15`, which means `5-59/15`),
lists of any of these, and the macros `@yearly` (`@annually`), `@monthly`,
`@weekly`, `@daily` (`@midnight`) and `@hourly`. `@reboot` is refused: beat sends
at times, and a host starting is not one.

The normal form, which engine.model.schedule_times (the one time rule of beat and
the preview) reads, has only numbers in the field's own range, terms `*`, `*/s`, `n`,
`a-b` and `a-b/s` with a <= b, and Sunday as 0. A field keeps its leading `*` (or
its lack of one): cron's day-of-month/day-of-week rule and its DST rule read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december"]  # fmt: skip
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int  # as written: day of week goes to 7 (Sunday again)
    names: dict[str, int]
    cycle: int  # values before the field repeats: where a wrapping range continues
    named: str = ""  # the names' range, for messages

    @property
    def range_text(self) -> str:
        return f"{self.low}-{self.high}" + (f" or {self.named}" if self.named else "")


def _names(short: list[str], full: list[str], first: int) -> dict[str, int]:
    return {name: i + first for names in (short, full) for i, name in enumerate(names)}


FIELDS = (
    Field("minute", 0, 59, {}, 60),
    Field("hour", 0, 23, {}, 24),
    Field("day of month", 1, 31, {}, 31),
    Field("month", 1, 12, _names(MONTHS, MONTH_NAMES, 1), 12, "jan-dec"),
    Field("day of week", 0, 7, _names(DAYS, DAY_NAMES, 0), 7, "sun-sat"),
)
_TERM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")
_QUARTZ = re.compile(r"[?#]|^l$|^\d*w$|^\d*l$|^lw$")  # ? L W #: Quartz's, not cron's


class CronError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _value(token: str, field: Field) -> int:
    number = field.names.get(token.lower()) if not token.isdigit() else int(token)
    if number is None or not field.low <= number <= field.high:
        raise CronError(f"{field.name} value {token!r} is out of range ({field.range_text})")
    return number


def _span(low: int, high: int, step: int, field: Field) -> list[str]:
    """`low-high/step` within the field, as normal terms (7, Sunday, folded to 0)."""
    top = min(high, field.low + field.cycle - 1)  # 6 for day of week
    text = str(low) if low == top else f"{low}-{top}"
    terms = [f"{text}/{step}" if step > 1 and low < top else text]
    if high > top and (high - low) % step == 0:  # 7 in a day-of-week range
        terms.append("0")
    return terms


def _wrapped(low: int, high: int, step: int, field: Field) -> list[str]:
    """`fri-mon`, `22-2/2`: up to the field's end, then on from its start, the step kept."""
    top = field.low + field.cycle - 1
    last = low + (top - low) // step * step
    terms = _span(low, top, step, field)
    resume = last + step - field.cycle
    if resume <= high:
        terms += _span(resume, high, step, field)
    return terms


def _term(term: str, field: Field) -> list[str]:
    match = _TERM.match(term.lower())
    if _QUARTZ.search(term.lower()):
        raise CronError(
            f"{field.name} field {term!r} is Quartz's syntax (? L W #), not cron's",
            "write * for any day, or the days themselves",
        )
    if not match:
        raise CronError(f"{field.name} field {term!r} is not a number, range, list or step")
    base, step_text = (term[: len(match.group(1))], match.group(2))
    step = int(step_text) if step_text is not None else 1
    if step == 0:
        raise CronError(f"{field.name} step in {term!r} must be at least 1")
    if base == "*":
        return [f"*/{step}" if step_text else "*"]
    if "-" in base:
        low, high = (_value(part, field) for part in base.split("-"))
    else:  # `5/15` is `5-59/15`, as in cron
        low = _value(base, field)
        high = field.high if step_text else low
    if field.cycle == 7 and low == 7:  # Sunday written 7 first: `7`, `7-1`, `7/2`
        low, high = 0, (0 if high == 7 else high)
    if low > high:
        return _wrapped(low, high, step, field)
    return _span(low, high, step, field)


def _expand(expression: str) -> list[str]:
    text = expression.strip().lower()
    if not text.startswith("@"):
        return expression.split()
    if text == "@reboot":
        raise CronError(
            "cron expression '@reboot' is refused: beat sends schedules at times, "
            "and a host starting is not one",
            "run start-up work from a worker_ready signal handler, or pick a time such as @daily",
        )
    if text not in MACROS:
        raise CronError(
            f"unknown cron macro {expression.strip()!r}",
            "use one of " + ", ".join(MACROS) + ", or five fields",
        )
    return MACROS[text].split()


@lru_cache(maxsize=4096)  # a large config repeats the same few expressions
def normalise(expression: str) -> tuple[str, ...]:
    """The five fields in normal form (module docstring); CronError says what is wrong."""
    parts = _expand(expression)
    if len(parts) != 5:
        raise CronError(
            f"cron expression {expression!r} has {len(parts)} fields, expected 5 "
            "(minute hour day-of-month month day-of-week) or a macro such as @daily",
            "cron has no seconds field; for runs under a minute apart use every: (e.g. 30s)"
            if len(parts) == 6
            else None,
        )
    return tuple(
        ",".join(normal for term in part.split(",") for normal in _term(term, field))
        for part, field in zip(parts, FIELDS, strict=True)
    )
