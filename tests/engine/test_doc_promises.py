"""Promises the docs make in one sentence that no other test held to (docs/testing.md,
"Promises and their tests"): each test here fails without the behaviour it names."""

from __future__ import annotations

from pathlib import Path

import redis
from click.testing import CliRunner

from polictl.main import cli

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1
WEEK = 7 * 24 * 3600


def pause(broker_url: str, duration: str):
    args = ["-C", str(MINIMAL), "pause", "tick", "--for", duration]
    return CliRunner().invoke(cli, args, env={"POLI_BROKER_URL": broker_url, "USER": "ops"})


def test_a_pause_lasts_a_week_at_most_and_ends_by_itself(redis_url):
    """docs/console.md: a pause "expires by itself (a week at most)"; docs/cli.md: "a week
    at most, ends by itself"."""
    for too_long in ("8d", "7d1s", "0s"):
        refused = pause(DOWN, too_long)  # refused before any broker is asked
        assert (refused.exit_code, refused.output) == (
            1,
            f"error: {too_long!r} is not a pause length\n"
            "  hint: a duration from 1s to 7 days: 30m, 2h\n",
        )
    client = redis.Redis.from_url(redis_url)
    assert pause(redis_url, "7d").exit_code == 0
    [key] = client.keys("*pause*")
    assert WEEK - 60 < client.ttl(key) <= WEEK  # Redis drops it when the week is over
    assert pause(redis_url, "90s").exit_code == 0
    assert 30 < client.ttl(key) <= 90
