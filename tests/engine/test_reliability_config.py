"""queues.yaml `reliability:`: its defaults, the values derived from it, its mistakes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.config import load

RELIABILITY = Path(__file__).resolve().parent.parent / "configs" / "reliability"
ENV = {"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}


def config_with(tmp_path: Path, section: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(RELIABILITY, config)
    queues = (config / "queues.yaml").read_text()
    (config / "queues.yaml").write_text(queues.split("reliability:")[0] + section)
    return config


def test_defaults_bound_redelivery_to_two_minutes(tmp_path: Path) -> None:
    platform = load(config_with(tmp_path, ""), env=ENV).platform
    policy = platform.reliability
    assert (policy.redeliver_within, policy.max_deliveries) == (120, 3)
    assert (platform.visibility_timeout, policy.sweep_interval, platform.refresh_interval) == (
        90,
        30,
        22.5,
    )
    assert (policy.dead_letter_keep, policy.dead_letter_max) == (14 * 86400, 10000)


def test_declared_values_are_read(tmp_path: Path) -> None:
    section = (
        "reliability:\n  redeliver_within: 1m\n  max_deliveries: 5\n  result_retry: 5m\n"
        "  dead_letters: {keep: 48h, max_entries: 500}\n"
    )
    policy = load(config_with(tmp_path, section), env=ENV).platform.reliability
    assert (policy.visibility_timeout + policy.sweep_interval, policy.max_deliveries) == (60, 5)
    assert (policy.result_retry, policy.dead_letter_keep, policy.dead_letter_max) == (
        300,
        48 * 3600,
        500,
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "reliability: {redeliver_within: 5s}\n",
            "queues.yaml:12:33: error: reliability.redeliver_within: 5s is too short\n"
            "  hint: at least 8s: workers must refresh the tasks they hold in time",
        ),
        (
            "reliability: {redeliver_within: 7s}\n",
            "queues.yaml:12:33: error: reliability.redeliver_within: 7s is too short\n"
            "  hint: at least 8s: workers must refresh the tasks they hold in time",
        ),
        (
            "reliability: {max_delivery: 2}\n",
            "queues.yaml:12:15: error: reliability: unknown key 'max_delivery'\n"
            "  hint: did you mean 'max_deliveries'?",
        ),
        (
            "reliability: {dead_letters: {keep: 2w}}\n",
            "queues.yaml:12:36: error: invalid duration '2w': use seconds (90) or a string"
            " like 90s, 5m, 1h30m",
        ),
    ],
)
def test_mistakes_are_reported_where_they_are(tmp_path: Path, section: str, expected: str) -> None:
    [problem] = load(config_with(tmp_path, section), env=ENV).diagnostics
    assert problem.format() == expected


def test_the_shortest_accepted_values_are_accepted(tmp_path: Path) -> None:
    """8s to redeliver within and a 5s visibility timeout: the least each check accepts."""
    config = config_with(tmp_path, "reliability: {redeliver_within: 8s}\n")
    queues = (config / "queues.yaml").read_text()
    broker = "  result_backend: broker\n"
    declared = broker + "  transport_options: {visibility_timeout: 5s}\n"
    (config / "queues.yaml").write_text(queues.replace(broker, declared))
    result = load(config, env=ENV)
    assert result.diagnostics == []
    assert (result.platform.reliability.redeliver_within, result.platform.visibility_timeout) == (
        8,
        5,
    )
