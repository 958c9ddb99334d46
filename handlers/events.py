"""Which events are due or coming for a record on a given day. Pure: rows in, events out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Row = Mapping[str, Any]

OPEN_POLLINATION_STATES = ("pollinated", "maturing", "matured")
OPEN_GERMINATION_STATES = ("sown", "germinating")

# Days a record may sit in a state before it counts as stuck (orchid capsules take months).
STUCK_AFTER_DAYS: dict[tuple[str, str], int] = {
    ("pollination", "pollinated"): 30,
    ("pollination", "maturing"): 240,
    ("pollination", "matured"): 14,
    ("germination", "sown"): 120,
    ("germination", "germinating"): 180,
}
# A germination window is "closing" when it ends within this many days.
WINDOW_CLOSING_DAYS = 3

WINDOW_EVENTS = (("upcoming_window_start", "window_start"), ("upcoming_window_end", "window_end"))

SEVERITY = {
    "maturation_due": "medium",
    "harvest_due": "high",
    "window_closing": "medium",
    "window_closed": "high",
    "stuck": "medium",
}


@dataclass(frozen=True)
class Event:
    kind: str
    record_type: str
    record_id: int
    responsible: str
    on: date  # the day the event happens (or was due)
    message: str

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.kind, "low")


def _maker(row: Row, record_type: str) -> Callable[[str, date, str], Event]:
    def event(kind: str, on: date, text: str) -> Event:
        message = f"{row['code']}: {text}"
        return Event(kind, record_type, row["id"], row["responsible"], on, message)

    return event


def _pollination_events(row: Row, today: date) -> Iterator[Event]:
    event = _maker(row, "pollination")

    if row["state"] not in OPEN_POLLINATION_STATES:
        return
    due = row["expected_maturation_on"]
    if due and due <= today and row["matured_on"] is None and row["state"] != "matured":
        yield event("maturation_due", due, f"capsule maturation was expected on {due}")
    due = row["expected_harvest_on"]
    if due and due <= today and row["harvested_on"] is None:
        yield event("harvest_due", due, f"capsule harvest was expected on {due}")
    yield from _stuck(row, "pollination", today, event)


def _germination_events(row: Row, today: date) -> Iterator[Event]:
    event = _maker(row, "germination")

    if row["state"] not in OPEN_GERMINATION_STATES:
        return
    start, end = row["window_start"], row["window_end"]
    if end < today:
        yield event("window_closed", end, f"germination window closed on {end}")
    elif start <= today and (end - today).days <= WINDOW_CLOSING_DAYS:
        yield event("window_closing", end, f"germination window closes on {end}")
    yield from _stuck(row, "germination", today, event)


def _stuck(
    row: Row, record_type: str, today: date, event: Callable[[str, date, str], Event]
) -> Iterator[Event]:
    limit = STUCK_AFTER_DAYS.get((record_type, row["state"]))
    since = row["state_since"]
    if limit is not None and (today - since).days > limit:
        yield event("stuck", since, f"in state {row['state']} since {since} (over {limit} days)")


def due_events(
    pollinations: Iterable[Row], germinations: Iterable[Row], today: date
) -> list[Event]:
    """Events that are due (or overdue) on ``today``."""
    found = [e for row in pollinations for e in _pollination_events(row, today)]
    found += [e for row in germinations for e in _germination_events(row, today)]
    return found


def upcoming_events(
    pollinations: Iterable[Row], germinations: Iterable[Row], today: date, days_ahead: int
) -> list[Event]:
    """Events that will happen after ``today`` and at most ``days_ahead`` days later."""
    last = today + timedelta(days=days_ahead)
    found: list[Event] = []
    for row in pollinations:
        if row["state"] not in OPEN_POLLINATION_STATES:
            continue
        for kind, column, done in (
            ("upcoming_maturation", "expected_maturation_on", "matured_on"),
            ("upcoming_harvest", "expected_harvest_on", "harvested_on"),
        ):
            on = row[column]
            if on and today < on <= last and row[done] is None:
                text = f"{row['code']}: {kind.split('_')[1]} expected on {on}"
                found.append(Event(kind, "pollination", row["id"], row["responsible"], on, text))
    for row in germinations:
        if row["state"] not in OPEN_GERMINATION_STATES:
            continue
        for kind, column in WINDOW_EVENTS:
            on = row[column]
            if today < on <= last:
                what = "opens" if column == "window_start" else "closes"
                text = f"{row['code']}: germination window {what} on {on}"
                found.append(Event(kind, "germination", row["id"], row["responsible"], on, text))
    return found


def dedup_key(kind: str, record_type: str, record_id: int, day: date) -> str:
    return f"{kind}:{record_type}:{record_id}:{day.isoformat()}"
