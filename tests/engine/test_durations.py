"""Durations and sizes by hand-written examples (the README's forms), each field alone and
together, and what is not a duration: an oracle that does not reuse the code's own rule."""

from __future__ import annotations

import pytest

from engine.durations import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (0, 0),
        (90, 90),
        ("90", None),  # a string needs its unit
        ("0s", 0),
        ("45s", 45),
        ("5m", 300),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h0m1s", 3601),
        ("1m61s", 121),  # fields are added, not checked against 60
        (" 5m ", 300),
        ("", None),
        ("m", None),
        ("5", None),
        ("30m1h", None),  # order is h, m, s
        ("1.5h", None),
        ("-5s", None),
        (-1, None),
        (True, None),  # a YAML `yes` is not a second
        (1.5, None),
        (None, None),
    ],
)
def test_parse_duration(value: object, seconds: int | None) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (61, "1m1s"),
        (3599, "59m59s"),
        (3600, "1h"),
        (3660, "1h1m"),
        (3601, "1h1s"),
        (5400, "1h30m"),
        (90061, "1d1h1m1s"),
        (89.9, "1m29s"),  # whole seconds, truncated
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_and_parse_agree_on_every_second_of_a_day_and_a_bit() -> None:
    assert all(parse_duration(format_duration(s)) == s for s in range(0, 90_000, 7))


@pytest.mark.parametrize(
    ("size", "kib"),
    [(None, None), ("512K", 512), ("1M", 1024), ("512M", 524288), ("2G", 2097152), ("10M", 10240)],
)
def test_parse_size_in_kib(size: str | None, kib: int | None) -> None:
    assert parse_size(size) == kib
