"""Promises the docs make in one sentence that no other test held to (docs/testing.md,
"Promises and their tests"): each test here fails without the behaviour it names."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from kombu.exceptions import ContentDisallowed
from kombu.serialization import loads, prepare_accept_content

from engine.config import load
from engine.runtime.app.build import build_app
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


class Planted:
    """A pickle that, once loaded, writes a file: what a forged message could run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (self.path, "ran"))


def test_a_worker_never_unpickles_what_comes_from_the_broker(tmp_path):
    """docs/performance.md: serializers json, "never pickle from the broker"."""
    result = load(MINIMAL, env={"POLI_BROKER_URL": DOWN})
    app = build_app(result.platform)
    try:
        accept = prepare_accept_content(app.conf.accept_content)  # as the worker's consumer
        forged = pickle.dumps(Planted(tmp_path / "planted"))
        with pytest.raises(ContentDisallowed):
            loads(forged, "application/x-python-serialize", "binary", accept=accept)
        assert not (tmp_path / "planted").exists()
        assert loads(b"[1]", "application/json", "utf-8", accept=accept) == [1]
    finally:
        app.close()
    # and the YAML cannot let pickle back in
    config = tmp_path / "config"
    config.mkdir()
    for name in ("tasks.yaml", "schedules.yaml", "testhandlers.py"):
        (config / name).write_text((MINIMAL / name).read_text())
    queues = (MINIMAL / "queues.yaml").read_text()
    (config / "queues.yaml").write_text("celery:\n  accept_content: [json, pickle]\n" + queues)
    refused = load(config, env={"POLI_BROKER_URL": DOWN})
    assert refused.platform is None
    assert [(d.line, d.message) for d in refused.diagnostics] == [
        (2, "celery.accept_content: poli owns this Celery setting")
    ]


def test_the_config_stage_gives_a_model_or_errors_never_both(tmp_path, monkeypatch):
    """docs/architecture.md: engine/config turns the files "into a model or a list of
    diagnostics, never both" (warnings ride along with a model; an error means no model)."""
    from test_bad_configs import CASES, CONFIGS, make_case

    monkeypatch.delenv("POLI_TEST_SURELY_UNSET", raising=False)
    seen = set()
    for case in CASES:
        expected = (CONFIGS / "bad" / case / "expected.txt").read_text()
        result = load(make_case(case, tmp_path))
        severities = {d.severity for d in result.diagnostics}
        if "error:" in expected:
            assert result.platform is None and "error" in severities, case
        else:
            assert result.platform is not None and severities <= {"warning"}, case
        seen.add("error:" in expected)
    assert seen == {True, False}  # both kinds are in the corpus
