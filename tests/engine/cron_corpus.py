"""The cron expressions tests/engine/test_cron_corpus.py checks against croniter and
cronsim: hand-written examples of every form crontab(5) has, then generated ones
(a fixed seed: the same corpus on every run)."""

from __future__ import annotations

import random

HAND_WRITTEN = [
    # numbers, lists, ranges, steps
    "* * * * *", "0 * * * *", "30 2 * * *", "0 0 * * *", "15,45 * * * *", "0 9-17 * * *",
    "*/15 * * * *", "*/7 * * * *", "0 */2 * * *", "0 */5 * * *", "0 1-23/2 * * *",
    "5/15 * * * *", "0 5/6 * * *", "10-50/20 8 * * *", "0 0 */3 * *", "0 0 2/5 * *",
    "0 12 * */2 *", "0 12 1 3/4 *", "0 0 1,15 * *", "59 23 31 12 *", "0 0 29 2 *",
    "0 0 31 * *", "30 3 * * 1-5", "0 0 * * */2", "0 0 * * 1/2", "0 0 * * 1-7/2",
    "0 0 * * 0", "0 0 * * 7", "0 0 * * 5-7", "0 0 * * 0,7", "0 0 * * 7-1",
    # names, any case, short and full
    "0 8 * * mon", "0 8 * * MON-FRI", "0 8 * * Sat,Sun", "0 8 * * monday", "0 8 * * Friday",
    "0 8 * jan *", "0 8 1 JAN-MAR *", "0 8 1 january,july *", "0 8 * December sun",
    "0 8 * * tue/2", "0 8 * jun-aug/2 *",
    # ranges that wrap
    "0 0 * * fri-mon", "0 0 * * sat-sun", "0 22-2 * * *", "0 22-2/2 * * *", "30 23-1 * * *",
    "50-10 * * * *", "55-5/5 * * * *", "0 0 28-3 * *", "0 0 1 nov-feb *", "0 0 * 11-2 *",
    # day of month OR day of week, and the `*` rule
    "0 0 13 * 5", "0 0 1 * mon", "0 0 30 2 mon", "0 0 31 4,6 fri", "0 0 */2 * mon",
    "0 0 1 * */3", "0 0 1 * 1,*/3", "* * * * *,0", "0 0 1-7 * 1", "0 0 15 * 0",
    # macros
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@Daily",
    # around DST changes: fixed-time and wildcard jobs in the hours that move
    "0 2 * * *", "30 2 * * 0", "0,30 2 * * *", "0,30 2,3 * * *", "0 1-3 * * *",
    "*/30 1-3 * * *", "15 2 * * *", "45 1 * * *", "* 2 * * *", "30 * * * *", "*/10 2 * * *",
    "0 3 * * *", "30 1 * * *", "0 0-3 * * sun", "59 1 * * *", "0 2 * 3,10 0",
]  # fmt: skip

_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_FIELDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 7, _DAYS))


def _value(rng: random.Random, low: int, high: int, names: list[str] | None) -> str:
    number = rng.randint(low, high)
    if names and rng.random() < 0.4 and number - low < len(names):
        name = names[number - low]
        return rng.choice([name, name.upper(), name.capitalize()])
    return str(number)


def _term(rng: random.Random, low: int, high: int, names: list[str] | None) -> str:
    kind = rng.choice(["value", "value", "range", "range-step", "wrap", "from-step", "star-step"])
    if kind == "value":
        return _value(rng, low, high, names)
    if kind == "star-step":
        return f"*/{rng.randint(2, max(2, (high - low) // 2))}"
    first, second = _value(rng, low, high, names), _value(rng, low, high, names)
    step = rng.randint(2, 7)
    if kind == "from-step":
        return f"{first}/{step}"
    numbers = sorted([first, second], key=lambda v: _number(v, low, names))
    if kind == "wrap":
        return f"{numbers[1]}-{numbers[0]}" if numbers[0] != numbers[1] else numbers[0]
    text = f"{numbers[0]}-{numbers[1]}"
    return text + (f"/{step}" if kind == "range-step" else "")


def _number(value: str, low: int, names: list[str] | None) -> int:
    return int(value) if value.isdigit() else names.index(value.lower()) + low


def generated(count: int, seed: int = 23) -> list[str]:
    """Expressions whose minute and hour fields are sparse enough to be read by a person
    and dense enough to land around DST changes; day fields often left as `*`."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        fields = []
        for index, (low, high, names) in enumerate(_FIELDS):
            if index >= 2 and rng.random() < 0.55:
                fields.append("*")
            elif index == 1 and rng.random() < 0.25:
                fields.append(rng.choice(["*", "*/3", "1-4", "2", "2,3"]))
            else:
                terms = rng.randint(1, 2)
                fields.append(",".join(_term(rng, low, high, names) for _ in range(terms)))
        expression = " ".join(fields)
        if expression not in out:
            out.append(expression)
    return out
