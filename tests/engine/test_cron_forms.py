"""Hand-written examples for every form crontab(5) accepts: the normal form the parser
gives (engine.model.cron's docstring), the exact message for each refused form, and the
fire times worked out by hand on a calendar (1 January 2027 is a Friday), in UTC so no
DST rule takes part (tests/engine/test_schedule_times.py has those). An oracle that shares
no code with the rule: these lists were counted on the calendar, not printed by poli.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from model_values import schedule

from engine.model.cron import CronError, normalise
from engine.model.schedule_times import never_fires, next_runs


@pytest.mark.parametrize(
    ("expression", "normal"),
    [
        ("5/15 * * * *", ("5-59/15", "*", "*", "*", "*")),  # `n/s` runs to the field's end
        ("30/20 * * * *", ("30-59/20", "*", "*", "*", "*")),
        ("*/20 * * * *", ("*/20", "*", "*", "*", "*")),
        ("10-12/5 * * * *", ("10-12/5", "*", "*", "*", "*")),
        ("0 1-23/2 * * *", ("0", "1-23/2", "*", "*", "*")),
        ("30 22-2 * * fri-mon", ("30", "22-23,0-2", "*", "*", "5-6,0-1")),  # wrapping ranges
        ("0 22-2/3 * * *", ("0", "22-23/3,1-2/3", "*", "*", "*")),  # the step goes on: 22, 1
        ("0 20-3/3 * * *", ("0", "20-23/3,2-3/3", "*", "*", "*")),  # 20, 23, 2
        ("0 23-1/2 * * *", ("0", "23,1", "*", "*", "*")),
        ("0 22-0/5 * * *", ("0", "22-23/5", "*", "*", "*")),  # 22 + 5 passes 0: 22 alone
        ("0 0 30-2 * *", ("0", "0", "30-31,1-2", "*", "*")),
        ("0 0 1 dec-feb *", ("0", "0", "1", "12,1-2", "*")),
        ("0 0 1 January,JULY *", ("0", "0", "1", "1,7", "*")),  # full names, any case
        ("0 0 * * Sunday,SAT", ("0", "0", "*", "*", "0,6")),
        ("0 9 * * 7", ("0", "9", "*", "*", "0")),  # 7 is Sunday
        ("0 9 * * 5-7", ("0", "9", "*", "*", "5-6,0")),
        ("0 9 * * sat-7", ("0", "9", "*", "*", "6,0")),
        ("0 9 * * 1-7/2", ("0", "9", "*", "*", "1-6/2,0")),  # 1, 3, 5, 7
        ("0 9 * * 2-7/2", ("0", "9", "*", "*", "2-6/2")),  # 2, 4, 6: 7 is not on the step
        ("0 9 * * 1-7/3", ("0", "9", "*", "*", "1-6/3,0")),  # 1, 4, 7
        ("0 9 * * 2-7/3", ("0", "9", "*", "*", "2-6/3")),  # 2, 5
        ("0 9 * * 7-2", ("0", "9", "*", "*", "0-2")),
        ("0 9 * * 7/2", ("0", "9", "*", "*", "0")),
        ("0 9 * * 6-0", ("0", "9", "*", "*", "6,0")),
        ("0 9 * * fri-sun/2", ("0", "9", "*", "*", "5-6/2,0")),  # Friday, Sunday
        ("7 7 7 7 7", ("7", "7", "7", "7", "0")),
        ("0 0 1 * 1,*/3", ("0", "0", "1", "*", "1,*/3")),  # a field keeps its `*` terms
        ("  0 0 * * *  ", ("0", "0", "*", "*", "*")),
        ("@yearly", ("0", "0", "1", "1", "*")),
        ("@annually", ("0", "0", "1", "1", "*")),
        ("@monthly", ("0", "0", "1", "*", "*")),
        ("@weekly", ("0", "0", "*", "*", "0")),
        (" @Daily ", ("0", "0", "*", "*", "*")),
        ("@midnight", ("0", "0", "*", "*", "*")),
        ("@HOURLY", ("0", "*", "*", "*", "*")),
    ],
)
def test_each_form_has_one_normal_form(expression, normal):
    assert normalise(expression) == normal


NOT_A_TERM = "is not a number, range, list or step"
QUARTZ = "is Quartz's syntax (? L W #), not cron's"
QUARTZ_HINT = "write * for any day, or the days themselves"


@pytest.mark.parametrize(
    ("expression", "message", "hint"),
    [
        ("1-2-3 * * * *", f"minute field '1-2-3' {NOT_A_TERM}", None),
        ("0 0 * * -1", f"day of week field '-1' {NOT_A_TERM}", None),
        ("60 * * * *", "minute value '60' is out of range (0-59)", None),
        ("x * * * *", "minute value 'x' is out of range (0-59)", None),  # minutes have no names
        ("0 24 * * *", "hour value '24' is out of range (0-23)", None),
        ("0 0 0 * *", "day of month value '0' is out of range (1-31)", None),
        ("0 0 32 * *", "day of month value '32' is out of range (1-31)", None),
        ("0 0 1 0 *", "month value '0' is out of range (1-12 or jan-dec)", None),
        ("0 0 1 13 *", "month value '13' is out of range (1-12 or jan-dec)", None),
        ("0 0 1 jan-foo *", "month value 'foo' is out of range (1-12 or jan-dec)", None),
        ("0 0 * * 8", "day of week value '8' is out of range (0-7 or sun-sat)", None),
        ("0 0 * * Mon-Funday", "day of week value 'Funday' is out of range (0-7 or sun-sat)", None),
        ("*/0 * * * *", "minute step in '*/0' must be at least 1", None),
        ("0 1-5/0 * * *", "hour step in '1-5/0' must be at least 1", None),
        ("0 0 ? * mon", f"day of month field '?' {QUARTZ}", QUARTZ_HINT),
        ("0 0 L * *", f"day of month field 'L' {QUARTZ}", QUARTZ_HINT),
        ("0 0 LW * *", f"day of month field 'LW' {QUARTZ}", QUARTZ_HINT),
        ("0 0 15W * *", f"day of month field '15W' {QUARTZ}", QUARTZ_HINT),
        ("0 0 * * 5L", f"day of week field '5L' {QUARTZ}", QUARTZ_HINT),
        ("0 0 * * 5#2", f"day of week field '5#2' {QUARTZ}", QUARTZ_HINT),
        (
            "0 2 * *",
            "cron expression '0 2 * *' has 4 fields, expected 5 (minute hour day-of-month "
            "month day-of-week) or a macro such as @daily",
            None,
        ),
        (
            "0 0 0 * * *",
            "cron expression '0 0 0 * * *' has 6 fields, expected 5 (minute hour "
            "day-of-month month day-of-week) or a macro such as @daily",
            "cron has no seconds field; for runs under a minute apart use every: (e.g. 30s)",
        ),
        (
            "@REBOOT",
            "cron expression '@reboot' is refused: beat sends schedules at times, and a host "
            "starting is not one",
            "run start-up work from a worker_ready signal handler, or pick a time such as @daily",
        ),
        (
            " @fortnightly ",
            "unknown cron macro '@fortnightly'",
            "use one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, "
            "or five fields",
        ),
    ],
)
def test_each_refused_form_says_why(expression, message, hint):
    with pytest.raises(CronError) as refused:
        normalise(expression)
    assert (str(refused.value), refused.value.hint) == (message, hint)


def runs(expression: str, start: datetime, count: int) -> list[str]:
    rule = schedule("job", "system.ping", "system", cron=" ".join(normalise(expression)))
    return [t.strftime("%m-%d %H:%M") for t in next_runs(rule, count, start)]


NEW_YEAR = datetime(2027, 1, 1, tzinfo=UTC)  # a Friday, 00:00: fire times are strictly after


@pytest.mark.parametrize(
    ("expression", "start", "fires"),
    [
        ("5/15 * * * *", NEW_YEAR, ["01-01 00:05", "01-01 00:20", "01-01 00:35", "01-01 00:50",
                                    "01-01 01:05"]),
        ("30/20 * * * *", NEW_YEAR, ["01-01 00:30", "01-01 00:50", "01-01 01:30"]),
        ("10-12/5 * * * *", NEW_YEAR, ["01-01 00:10", "01-01 01:10"]),
        ("0 1-23/2 * * *", datetime(2027, 1, 1, 20, 30, tzinfo=UTC),
         ["01-01 21:00", "01-01 23:00", "01-02 01:00"]),  # odd hours, never 0
        ("30 22-2 * * fri-mon", datetime(2027, 1, 4, 3, tzinfo=UTC),  # Monday, 03:00
         ["01-04 22:30", "01-04 23:30", "01-08 00:30"]),  # Tuesday 00:30 is not in fri-mon
        ("0 22-2/3 * * *", NEW_YEAR, ["01-01 01:00", "01-01 22:00", "01-02 01:00"]),
        ("0 20-3/3 * * *", NEW_YEAR, ["01-01 02:00", "01-01 20:00", "01-01 23:00",
                                      "01-02 02:00"]),
        ("0 9 * * 7", NEW_YEAR, ["01-03 09:00", "01-10 09:00"]),
        ("0 9 * * 1-7/2", datetime(2027, 1, 1, 10, tzinfo=UTC),
         ["01-03 09:00", "01-04 09:00", "01-06 09:00", "01-08 09:00", "01-10 09:00"]),
        ("0 9 * * 2-7/2", NEW_YEAR, ["01-02 09:00", "01-05 09:00", "01-07 09:00"]),
        ("0 0 1 dec-feb *", NEW_YEAR, ["02-01 00:00", "12-01 00:00", "01-01 00:00"]),
        ("0 0 30-2 * *", NEW_YEAR, ["01-02 00:00", "01-30 00:00", "01-31 00:00", "02-01 00:00",
                                    "02-02 00:00", "03-01 00:00", "03-02 00:00", "03-30 00:00"]),
        # both day fields restricted: either matches (Mondays, and the 1st)
        ("0 0 1 * mon", NEW_YEAR, ["01-04 00:00", "01-11 00:00", "01-18 00:00", "01-25 00:00",
                                   "02-01 00:00", "02-08 00:00"]),
        # a day field starting with `*` restricts with the other: both must match
        ("0 0 */10 * mon", NEW_YEAR, ["01-11 00:00", "02-01 00:00", "03-01 00:00",
                                      "05-31 00:00"]),
        ("0 0 1 * */3", NEW_YEAR, ["05-01 00:00", "08-01 00:00", "09-01 00:00",
                                   "12-01 00:00"]),  # the 1st on a Sunday, Wednesday, Saturday
        ("0 0 1 * 1,*/3", NEW_YEAR, ["01-02 00:00", "01-03 00:00", "01-04 00:00",
                                     "01-06 00:00"]),  # the 1st, or Mon, Sun, Wed, Sat
        ("@yearly", datetime(2027, 3, 1, tzinfo=UTC), ["01-01 00:00", "01-01 00:00"]),
        ("@monthly", datetime(2027, 1, 15, tzinfo=UTC), ["02-01 00:00", "03-01 00:00"]),
        ("@weekly", NEW_YEAR, ["01-03 00:00", "01-10 00:00"]),
        ("@daily", datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC), ["01-01 00:00"]),
        ("@hourly", datetime(2027, 1, 1, 23, 0, 0, 1, tzinfo=UTC), ["01-02 00:00"]),
        ("59 23 31 12 *", datetime(2027, 12, 31, 23, 58, 59, tzinfo=UTC), ["12-31 23:59"]),
    ],
)  # fmt: skip
def test_each_form_fires_when_the_calendar_says(expression, start, fires):
    assert runs(expression, start, len(fires)) == fires


def test_a_yearly_schedule_rolls_over_the_years():
    yearly = schedule("job", "system.ping", "system", cron="0 0 1 1 *")
    assert [t.year for t in yearly.next_runs(3, NEW_YEAR)] == [2028, 2029, 2030]


@pytest.mark.parametrize(
    ("expression", "never"),
    [
        ("0 0 30 2 *", True),
        ("0 0 31 4,6,9,11 *", True),
        ("0 0 29 2 *", False),  # leap years: 2028
        ("0 0 31 * *", False),
        ("0 0 30 2 1", False),  # both restricted: Mondays in February
    ],
)
def test_a_date_no_calendar_has_never_fires(expression, never):
    assert never_fires(" ".join(normalise(expression))) is never


@pytest.mark.parametrize(
    ("expression", "every", "words"),
    [
        (None, 30, "every 30s"),
        (None, 5400, "every 1h30m"),
        ("0 9 * * 1-5", None, "At 09:00, Monday through Friday"),
        # forms the describer cannot read (`*` or `*/n` in a list) are said as their values
        ("0 0 1 * 1,*/3", None, "At 00:00, on day 1 of the month, or on Sunday, Monday, "
                                "Wednesday, and Saturday"),
        ("* * * * *,0", None, "Every minute"),
        ("0 */6,1 * * *", None, "At 00:00, 01:00, 06:00, 12:00 and 18:00"),
    ],
)  # fmt: skip
def test_a_schedule_is_described_in_words(expression, every, words):
    cron = " ".join(normalise(expression)) if expression else None
    assert schedule("job", "system.ping", "system", cron=cron, every=every).describe() == words
