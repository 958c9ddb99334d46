"""The compiled validator (jsonschema-rs) may only say "valid" where `jsonschema` finds no
error: its yes skips `jsonschema`, its no hands the file to `jsonschema` for diagnostics."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config.check import schema

BASE = Path(__file__).resolve().parent.parent / "configs" / "base"
NAMES = st.sampled_from(["a", "ok.name", "Bad", "x\n", "a" * 64, "", "1x", "é"])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**70), st.floats(allow_nan=False),
    st.text(max_size=8), NAMES,
    st.sampled_from(["5m", "1h30m", "90", "0 * * * *", "x:y", "a.b:c", "10/m", "prefork", "solo",
                     "throughput", "redis://h", "embedded", "${X}", "/opt/p", "once", "UTC"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES | st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
PLACES = [
    ("queues", ("broker", "url")), ("queues", ("workers", "main")),
    ("queues", ("workers", "main", "profile")), ("queues", ("workers", "main", "concurrency")),
    ("queues", ("queues",)), ("queues", ("deploy", "flower")), ("queues", ("routes",)),
    ("tasks", ("tasks", "system.echo")), ("tasks", ("tasks", "system.echo", "time_limit")),
    ("tasks", ("defaults",)), ("tasks", ("retry_policies",)), ("tasks", ("tasks",)),
    ("schedules", ("schedules", "tick")), ("schedules", ("schedules",)),
]  # fmt: skip


def fast_says_valid_only_when_jsonschema_agrees(kind: str, data: object) -> None:
    fast = schema._surely_valid(kind, data)
    errors = list(schema._validator(kind).iter_errors(data))
    assert not (fast and errors), [e.message for e in errors]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PLACES), values)
def test_fast_yes_is_never_a_jsonschema_no(place, value):
    kind, path = place
    data = yaml.safe_load((BASE / f"{kind}.yaml").read_text())
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node
    if isinstance(node, dict):
        node[path[-1]] = value
    fast_says_valid_only_when_jsonschema_agrees(kind, data)


def test_the_fast_path_is_taken_for_the_shipped_config():
    root = Path(__file__).resolve().parent.parent.parent
    for kind in ("queues", "tasks", "schedules"):
        data = yaml.safe_load((root / f"{kind}.yaml").read_text())
        assert schema._surely_valid(kind, data)
