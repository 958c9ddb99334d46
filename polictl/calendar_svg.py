"""The calendar as a picture: one lane per queue, time across, a mark per minute with runs,
collisions (two or more schedules in one minute on one queue) in red. Plain SVG, no script:
the console embeds it and `polictl calendar --svg FILE` writes it."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from polictl.calendar import Calendar

LABEL, LANE, WIDTH, TOP = 110, 34, 960, 24


def render_svg(calendar: Calendar) -> str:
    span = (calendar.end - calendar.start).total_seconds() or 1.0
    height = TOP + LANE * max(1, len(calendar.lanes)) + 8
    total = LABEL + WIDTH + 10

    def x(when) -> float:
        return LABEL + WIDTH * (when - calendar.start).total_seconds() / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" '
        f'viewBox="0 0 {total} {height}" font-family="sans-serif" font-size="11" '
        f'role="img" aria-label="calendar">',
        f'<rect width="{total}" height="{height}" fill="white"/>',
    ]
    parts += _axis(calendar, x, height)
    for row, lane in enumerate(calendar.lanes):
        y = TOP + row * LANE
        parts.append(f'<text x="4" y="{y + LANE / 2 + 4}">{escape(lane.queue)}</text>')
        parts.append(
            f'<rect x="{LABEL}" y="{y + 4}" width="{WIDTH}" height="{LANE - 8}" fill="#f3f5f8"/>'
        )
        collisions = set(lane.collisions)
        for minute in lane.runs:
            clash = minute in collisions
            colour = "#d62728" if clash else "#1f77b4"
            title = escape(f"{minute:%a %Y-%m-%d %H:%M} UTC: {lane.names(minute)}")
            parts.append(
                f'<line class="{"collision" if clash else "run"}" x1="{x(minute):.1f}" '
                f'x2="{x(minute):.1f}" y1="{y + 6}" y2="{y + LANE - 6}" stroke="{colour}" '
                f'stroke-width="{2 if clash else 1}"><title>{title}</title></line>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _axis(calendar: Calendar, x, height: int) -> list[str]:
    """Day lines for a week, hour lines for a day or less."""
    days = (calendar.end - calendar.start) / timedelta(days=1)
    step = timedelta(days=1) if days > 1.5 else timedelta(hours=1 if days <= 1 else 3)
    mark = calendar.start.replace(minute=0) + (step if step < timedelta(days=1) else timedelta())
    if step == timedelta(days=1):
        mark = calendar.start.replace(hour=0, minute=0) + step
    parts = []
    while mark < calendar.end:
        label = f"{mark:%a %d}" if step == timedelta(days=1) else f"{mark:%H:00}"
        parts.append(
            f'<line x1="{x(mark):.1f}" x2="{x(mark):.1f}" y1="{TOP - 4}" y2="{height - 4}" '
            f'stroke="#bbb"/><text x="{x(mark) + 2:.1f}" y="{TOP - 8}">{label}</text>'
        )
        mark += step
    return parts
