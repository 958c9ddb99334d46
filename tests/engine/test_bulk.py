"""Bulk fan-out (`engine.runtime.delivery.bulk.send_many`, `polictl run --many`): the messages a loop
of `apply_async` sends, every one run once by a real worker, and bad input refused whole."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import redis
from celery.utils.saferepr import saferepr
from celery_process import built_app, celery_worker
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.inputs import InvalidTaskInput
from engine.runtime.delivery.bulk import header_repr, send_many
from polictl.main import cli

MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"


@pytest.fixture
def app(redis_url):
    with built_app(MINIMAL, redis_url) as app:
        yield app


def queued(url: str, queue: str) -> list[dict]:
    """The raw messages waiting in `queue`, oldest first."""
    client = redis.Redis.from_url(url)
    try:
        return [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]
    finally:
        client.close()


def without_ids(message: dict) -> dict:
    message = json.loads(json.dumps(message))
    message["headers"]["id"] = message["headers"]["root_id"] = "ID"
    message["properties"]["correlation_id"] = message["properties"]["delivery_tag"] = "ID"
    return message


def test_send_many_publishes_what_apply_async_publishes(app, redis_url):
    app.tasks["system.echo"].apply_async(args=[], kwargs={"value": 1})
    app.tasks["system.echo"].apply_async(args=["b"])
    ids = send_many(app, "system.echo", [{"args": [], "kwargs": {"value": 1}}, ["b"]])

    looped, bulk = queued(redis_url, "system")[:2], queued(redis_url, "system")[2:]
    assert [without_ids(m) for m in bulk] == [without_ids(m) for m in looped]
    assert [m["headers"]["id"] for m in bulk] == ids
    assert [m["headers"]["root_id"] for m in bulk] == ids
    assert len(set(ids)) == 2
    body = json.loads(base64.b64decode(bulk[1]["body"]))
    assert body[:2] == [["b"], {}]


def test_send_many_checks_every_call_before_sending_any(app, redis_url):
    with pytest.raises(TypeError, match="unexpected keyword argument 'extra'"):
        send_many(app, "system.echo", [["fine"], {"kwargs": {"extra": 1}}])
    assert queued(redis_url, "system") == []


def test_send_many_type_checks_every_call_not_only_the_first(app, redis_url):
    """Only the first call goes through apply_async (a template publishes the rest): each
    call still goes through the one input check, so `"x"` for a `float` is refused."""
    with pytest.raises(InvalidTaskInput, match=r"seconds: input should be a valid number"):
        send_many(app, "system.sleep", [[0.1], ["x"]])
    assert queued(redis_url, "system") == []


def test_send_many_routes_each_task_through_its_queue(app, redis_url):
    send_many(app, "alerts.echo", [[1], [2]])
    send_many(app, "reports.echo", [[3]])
    assert len(queued(redis_url, "alerts")) == 2
    assert len(queued(redis_url, "reports")) == 1
    assert send_many(app, "alerts.echo", []) == []


def test_every_call_runs_once_on_a_real_worker(app, redis_url, tmp_path):
    calls = [[i] for i in range(300)]
    with celery_worker(app, MINIMAL, redis_url, ["system"], tmp_path / "worker.log"):
        ids = send_many(app, "system.echo", calls)
        values = [app.AsyncResult(task_id).get(timeout=60)["value"] for task_id in ids]
    assert values == list(range(300))
    assert queued(redis_url, "system") == []


def test_run_many_sends_every_line(app, redis_url, tmp_path):
    calls = tmp_path / "calls.jsonl"
    calls.write_text('["x"]\n\n{"args": ["y"], "kwargs": {}}\n{"kwargs": {"value": "z"}}\n')
    result = CliRunner().invoke(
        cli, ["-C", str(MINIMAL), "run", "system.echo", "--many", str(calls)],
        env={"POLI_BROKER_URL": redis_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 3 system.echo to queue system: ids ")
    bodies = [json.loads(base64.b64decode(m["body"]))[:2] for m in queued(redis_url, "system")]
    assert bodies == [[["x"], {}], [["y"], {}], [[], {"value": "z"}]]


def test_run_many_refuses_a_bad_file_and_sends_nothing(app, redis_url, tmp_path):
    calls = tmp_path / "calls.jsonl"
    calls.write_text('["ok"]\n["unclosed"\n  "text"\n{"args": [], "when": 1}\n')
    result = CliRunner().invoke(
        cli, ["-C", str(MINIMAL), "run", "system.echo", "--many", str(calls)],
        env={"POLI_BROKER_URL": redis_url},
    )  # fmt: skip
    assert result.exit_code == 1
    hint = '  hint: e.g. [1, 2] or {"args": [1], "kwargs": {"user": "ana"}}'
    assert result.output.splitlines() == [
        f"{calls}:2:12: error: not JSON: Expecting ',' delimiter",
        hint,
        f"{calls}:3:3: error: a call is a JSON array of arguments or an object, not str",
        hint,
        f"{calls}:4:1: error: unknown key 'when' (a call has `args` and `kwargs`)",
        hint,
        "3 errors, 0 warnings",
    ]
    assert queued(redis_url, "system") == []


def test_run_many_names_the_line_whose_arguments_do_not_fit(app, redis_url, tmp_path):
    calls = tmp_path / "calls.jsonl"
    calls.write_text('["ok"]\n{"kwargs": {"nope": 1}}\n')
    result = CliRunner().invoke(
        cli, ["-C", str(MINIMAL), "run", "system.echo", "--many", str(calls)],
        env={"POLI_BROKER_URL": redis_url},
    )  # fmt: skip
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{calls}:2:1: error: ")
    assert "nope" in first
    assert queued(redis_url, "system") == []


# JSON-like values as task arguments come: scalars, text with quotes, escapes and non-ASCII,
# nested deeper than saferepr's three levels, long enough to pass the header's size limit.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=600)
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_values, max_size=4) | st.dictionaries(st.text(max_size=8), _values, max_size=4))
def test_header_repr_is_celerys_saferepr(value):
    """The fast path of the bulk headers may never write what Celery would not."""
    for maxsize, levels in ((1024, 3), (64, 3), (1024, 1)):
        expected = saferepr(value, maxsize, maxlevels=levels)
        assert header_repr(value, maxsize, levels) == expected
