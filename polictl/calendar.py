"""`polictl calendar [--days N] [--svg FILE]`: what fires when, per queue, and where runs pile up.

The same data the console's Calendar page draws (polictl.calendar_svg): each enabled
schedule's fire times in a window, by queue and minute. A *collision* is a minute in which
two or more schedules fire on one queue (their runs wait for the same workers).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import click

from engine.durations import format_duration
from engine.model import Platform
from engine.model.schedule_calendar import fires_between

MAX_RUNS_PER_SCHEDULE = 2000  # a 1s schedule over a week would be 604,800 marks


@dataclass(frozen=True)
class Lane:
    """One queue's runs in the window."""

    queue: str
    runs: dict[datetime, tuple[str, ...]]  # minute -> schedules firing in it
    per_hour: dict[datetime, int]  # hour -> runs in it
    capped: tuple[str, ...] = ()  # schedules with more runs than drawn
    load: dict[datetime, float] = field(default_factory=dict)  # hour -> seconds of work

    @property
    def heaviest(self) -> tuple[datetime, float] | None:
        """The hour with the most work expected, from the durations measured so far."""
        return max(self.load.items(), key=lambda kv: kv[1], default=None)

    @property
    def collisions(self) -> list[datetime]:
        return sorted(m for m, names in self.runs.items() if len(set(names)) > 1)

    def names(self, minute: datetime) -> str:
        """Who fires in `minute`: `often ×30, hourly` (a fast schedule counted, not repeated)."""
        counts = Counter(self.runs.get(minute, ()))
        return ", ".join(f"{n} ×{c}" if c > 1 else n for n, c in counts.items())

    @property
    def total(self) -> int:
        return sum(self.per_hour.values())


@dataclass(frozen=True)
class Calendar:
    start: datetime
    end: datetime
    lanes: tuple[Lane, ...] = field(default_factory=tuple)


def build_calendar(
    platform: Platform,
    days: float = 7,
    start: datetime | None = None,
    durations: dict[str, float] | None = None,
) -> Calendar:
    """The enabled schedules' runs from `start` (now) for `days`, per queue; with each
    schedule's last measured duration (`durations`), the expected work per hour."""
    durations = durations or {}
    start = (start or datetime.now(UTC)).replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    runs: dict[str, dict[datetime, list[str]]] = defaultdict(lambda: defaultdict(list))
    hours: dict[str, Counter] = defaultdict(Counter)
    load: dict[str, Counter] = defaultdict(Counter)
    capped: dict[str, list[str]] = defaultdict(list)
    timings: dict[tuple, list[datetime]] = {}  # schedules often share an expression and zone
    for schedule in platform.enabled_schedules:
        runs[schedule.queue]  # noqa: B018 - a queue with schedules gets a lane
        timing = (schedule.cron, schedule.every, schedule.timezone)
        if timing not in timings:
            fires = fires_between(schedule, start, end)
            timings[timing] = list(islice(fires, MAX_RUNS_PER_SCHEDULE + 1))
        for count, when in enumerate(timings[timing]):
            if count == MAX_RUNS_PER_SCHEDULE:
                capped[schedule.queue].append(schedule.name)
                left = _hours_left(schedule.every, when, end)
                hours[schedule.queue].update(left)
                took = durations.get(schedule.name, 0.0)
                load[schedule.queue].update({h: n * took for h, n in left.items()})
                break
            minute = (
                when.replace(second=0, microsecond=0) if when.second or when.microsecond else when
            )
            runs[schedule.queue][minute].append(schedule.name)
    for queue, minutes in runs.items():
        for minute, names in minutes.items():
            hour = minute.replace(minute=0)
            hours[queue][hour] += len(names)
            load[queue][hour] += sum(durations.get(name, 0.0) for name in names)
    lanes = tuple(
        Lane(
            q,
            {m: tuple(n) for m, n in sorted(runs[q].items())},
            dict(hours[q]),
            tuple(capped[q]),
            {h: s for h, s in load[q].items() if s},
        )
        for q in sorted(runs)
    )
    return Calendar(start, end, lanes)


def _hours_left(every: float | None, when: datetime, end: datetime) -> Counter:
    """Runs per hour of a fast `every` schedule past the drawing cap (counted, not drawn)."""
    left: Counter = Counter()
    if not every:
        return left
    hour = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        span = (min(hour + timedelta(hours=1), end) - max(hour, when)).total_seconds()
        left[hour] += max(0, int(span // every))
        hour += timedelta(hours=1)
    return left


def measured_durations(platform: Platform) -> dict[str, float]:
    """Each schedule's last measured duration (the workers' run records); none when the
    broker is away (polictl.beat_report never raises)."""
    from polictl.beat_report import collect_beat

    runs = collect_beat(platform).runs
    return {name: r["duration"] for name, r in runs.items() if r.get("duration") is not None}


def format_calendar(calendar: Calendar) -> str:
    lines = [f"calendar {calendar.start.isoformat()} .. {calendar.end.isoformat()} (UTC)"]
    for lane in calendar.lanes:
        busiest = max(lane.per_hour.items(), key=lambda kv: kv[1], default=None)
        peak = f", busiest hour {busiest[0]:%a %H:00} ({busiest[1]} runs)" if busiest else ""
        heaviest = lane.heaviest
        if heaviest:
            work = format_duration(heaviest[1])
            peak += f", most work {heaviest[0]:%a %H:00} ({work} measured)"
        lines.append(f"queue {lane.queue}: {lane.total} runs{peak}")
        collisions = lane.collisions
        for minute in collisions[:10]:
            lines.append(f"  collision {minute:%a %Y-%m-%d %H:%M}: {lane.names(minute)}")
        if len(collisions) > 10:
            lines.append(f"  ... and {len(collisions) - 10} more collisions")
        if lane.capped:
            lines.append(
                f"  counted, not drawn past {MAX_RUNS_PER_SCHEDULE}: {', '.join(lane.capped)}"
            )
    if not calendar.lanes:
        lines.append("no enabled schedule")
    return "\n".join(lines)


@click.command()
@click.option("--days", type=click.FloatRange(0.01, 31), default=7, show_default=True)
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def calendar(obj, days: float, svg_file: Path | None) -> None:
    """What fires when, per queue; collisions flagged; --svg FILE writes the picture."""
    from polictl.calendar_svg import render_svg

    platform = obj.platform()
    data = build_calendar(platform, days, durations=measured_durations(platform))
    click.echo(format_calendar(data))
    if svg_file is not None:
        from polictl.files import write_text

        write_text(svg_file, render_svg(data))
        click.echo(f"wrote {svg_file}")
