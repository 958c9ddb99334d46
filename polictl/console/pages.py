"""What each console page shows, as plain values: the same collectors the CLI prints from
(polictl.schedules, polictl.beat_report, polictl.stack.status, polictl.letters,
engine.config.provenance). No Flask here, so the benchmark and tests call them directly."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.model import Platform

LETTERS_SHOWN = 200  # the newest ones; filters narrow the rest


@dataclass(frozen=True)
class LetterPage:
    letters: list[Any]  # DeadLetter, newest first
    total: int  # matching the filters
    counts: dict[str, int]  # task -> letters


def schedules_page(platform: Platform, count: int = 3) -> dict[str, Any]:
    from polictl.beat_report import collect_beat
    from polictl.runs import schedule_problems
    from polictl.schedules import schedule_rows

    beat = collect_beat(platform)
    rows = schedule_rows(platform, count, beat)
    for row in rows:
        row["run"] = beat.runs.get(row["name"])
    problems = schedule_problems(platform, beat)
    return {"rows": rows, "beat": beat, "beat_lines": beat.lines(), "problems": problems}


def calendar_page(platform: Platform, days: float) -> dict[str, Any]:
    from polictl.calendar import build_calendar, measured_durations
    from polictl.calendar_svg import render_svg

    calendar = build_calendar(platform, days, durations=measured_durations(platform))
    return {"calendar": calendar, "svg": render_svg(calendar), "days": days}


def letters_page(platform: Platform, task: str | None, since_seconds: int | None) -> LetterPage:
    from polictl.letters import open_store

    since = None if since_seconds is None else time.time() - since_seconds
    with open_store(platform) as (_, store):
        shown, total = store.newest(LETTERS_SHOWN, task=task or None, since=since)
        counts = store.counts()
    return LetterPage(shown, total, counts)


def letter_page(platform: Platform, letter_id: str) -> Any:
    from polictl.letters import find_letter, open_store

    with open_store(platform) as (_, store):
        return find_letter(store, letter_id)


def replay_letters(platform: Platform, letter_id: str | None, task: str | None) -> list[Any]:
    """One letter, or every letter of a task: polictl.letters.replay, as `polictl dead replay`."""
    from polictl.letters import find_letter, open_store, replay

    with open_store(platform) as (app, store):
        letters = [find_letter(store, letter_id)] if letter_id else store.list(task=task)
        return replay(app, store, letters)


def purge_letters(platform: Platform, older_than: int | None) -> int:
    from polictl.letters import open_store

    with open_store(platform) as (_, store):
        return store.purge(older_than)


def queues_page(platform: Platform) -> Any:
    """polictl status's report: programs, broker, queues with depth and consumers."""
    from polictl.stack.layout import Layout
    from polictl.stack.status import collect

    return collect(platform, Layout.of(platform.config_dir))


def worker_groups(platform: Platform, report: Any) -> list[dict[str, Any]]:
    """Each declared worker group with its live nodes (named `GROUP@host` or
    `GROUP-N@host` by every generator); a group with none is missing."""
    live = {node for q in report.queues for node in q.consumers}
    return [
        {
            "name": group.name,
            "queues": group.queues,
            "nodes": sorted(n for n in live if re.match(rf"{re.escape(group.name)}(-\d+)?@", n)),
        }
        for group in platform.workers
    ]


def config_page(documents: Any) -> list[Any]:
    from engine.config.provenance import effective

    return effective(documents)


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
