"""Argument checks shared by the tasks: each returns the clean value or raises InvalidArgument."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from handlers.errors import InvalidArgument


def whole_number(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """An int (not a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidArgument(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def positive_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidArgument(f"{name} must be a positive number, got {value!r}")
    return float(value)


def boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be true or false, got {value!r}")
    return value


def iso_date(name: str, value: object) -> date:
    """A date given as ``YYYY-MM-DD`` (or already a date)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def optional_date(name: str, value: object, default: date) -> date:
    return default if value is None else iso_date(name, value)


def one_of(name: str, value: object, options: Collection[str]) -> str:
    if value not in options:
        raise InvalidArgument(f"{name} must be one of {', '.join(sorted(options))}, got {value!r}")
    return value  # type: ignore[return-value]
