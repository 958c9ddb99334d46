"""Arbitrary text and arbitrary structures in, only diagnostics out: never a traceback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import load
from engine.config.read.loader import parse_text
from engine.diagnostics import Diagnostic

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"
KEYS = [
    "broker",
    "url",
    "queues",
    "routes",
    "match",
    "queue",
    "workers",
    "concurrency",
    "tasks",
    "handler",
    "retry",
    "retry_policies",
    "initial",
    "max",
    "retry_on",
    "time_limit",
    "soft_time_limit",
    "defaults",
    "schedules",
    "task",
    "cron",
    "every",
    "args",
    "kwargs",
    "timezone",
    "deploy",
    "flower",
    "system",
    "default",
    "tick",
    "system.echo",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["0 * * * *", "5m", "basehandlers:echo", "system", "x:y"]),
)
structures = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)


def check(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.line >= 1 and d.column >= 1 and d.message


def load_with(file: str, data: object) -> None:
    """The base config with `file` replaced by `data`: diagnostics, or a platform."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(BASE, tmp, dirs_exist_ok=True)
        (Path(tmp) / file).write_text(yaml.safe_dump(data))
        result = load(Path(tmp), env={})
    check(result.diagnostics)
    assert result.platform is not None or result.diagnostics


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_gives_diagnostics_only(text):
    doc, diagnostics = parse_text(text, "f.yaml", env={})
    check(diagnostics)
    assert doc is not None or diagnostics


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["queues.yaml", "tasks.yaml", "schedules.yaml"]), structures)
def test_arbitrary_structures_give_diagnostics_only(file, data):
    load_with(file, data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            ["task", "cron", "every", "args", "kwargs", "queue", "timezone", "catchup", "enabled"]
        ),
        scalars | structures,
    )
)
def test_arbitrary_schedule_entries_give_diagnostics_only(entry):
    load_with("schedules.yaml", {"schedules": {"tick": entry}})


PLACES = [
    ("queues.yaml", ("routes",)),
    ("queues.yaml", ("workers", "main")),
    ("queues.yaml", ("queues", "system")),
    ("queues.yaml", ("deploy",)),
    ("tasks.yaml", ("retry_policies", "standard")),
    ("tasks.yaml", ("tasks", "system.echo")),
    ("tasks.yaml", ("defaults",)),
    ("schedules.yaml", ("schedules", "tick")),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PLACES), structures)
def test_arbitrary_values_at_every_known_place_give_diagnostics_only(place, value):
    file, path = place
    data = yaml.safe_load((BASE / file).read_text())
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    load_with(file, data)
