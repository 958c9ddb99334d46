"""Durations: an integer of seconds, or a string like 90s, 5m, 1h30m, 1d."""

from __future__ import annotations

import re
from functools import lru_cache

_PATTERN = re.compile(r"^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: object) -> int | None:
    """Seconds, or None when `value` is not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    return _parse_text(value)


@lru_cache(maxsize=4096)  # a large config repeats the same few durations
def _parse_text(value: str) -> int | None:
    match = _PATTERN.match(value.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: float) -> str:
    """The shortest text parse_duration reads back: 90 -> 1m30s, 86400 -> 1d."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value}{unit}"
        for value, unit in zip((days, hours, minutes, secs), "dhms", strict=True)
        if value
    ]
    return "".join(parts) or "0s"


_SIZE_UNITS = {"K": 1, "M": 1024, "G": 1024 * 1024}


def parse_size(value: str | None) -> int | None:
    """KiB of a size like 512M or 2G (the schema checked the form); None stays None."""
    if value is None:
        return None
    return int(value[:-1]) * _SIZE_UNITS[value[-1]]
