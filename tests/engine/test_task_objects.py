"""Handlers written as Celery task objects (`@shared_task`, `@app.task`, bound or not), a plain
function that asks for its task (`bind: true`), and a base class of the project's own, on a
real Redis and a real worker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis
from celery_process import built_app, celery_worker

from engine.inputs import InvalidTaskInput

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "task-objects"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def app(config: Path, redis_url: str):
    with built_app(config, redis_url) as app:
        yield app


def test_a_bound_task_retried_with_self_retry_succeeds_under_its_own_id(
    app, config, redis_url, tmp_path
) -> None:
    marker = tmp_path / "attempts"
    sent = app.tasks["jobs.bound_flaky"].delay(str(marker), fail_times=2)
    with celery_worker(app, config, redis_url, ["jobs"], tmp_path / "worker.log"):
        result = sent.get(timeout=30)
    assert result == {"id": sent.id, "retries": 2, "name": "jobs.bound_flaky"}
    attempts = marker.read_text().split("\n")[:-1]
    assert attempts == [f"{sent.id} 0", f"{sent.id} 1", f"{sent.id} 2"]


def test_a_task_objects_arguments_are_checked_at_send(app, redis_url) -> None:
    import taskobjects

    broker = redis.Redis.from_url(redis_url)
    expected = (
        "jobs.add: arguments do not fit taskobjects:add(x: int, y: int):"
        " x: input should be a valid integer, got 'x'"
    )
    for send in (
        lambda: app.tasks["jobs.add"].delay("x", 1),
        lambda: app.send_task("jobs.add", args=["x", 1]),
        lambda: taskobjects.add.delay("x", 1),  # the decorated object, from the project's code
    ):
        with pytest.raises(InvalidTaskInput) as refused:
            send()
        assert str(refused.value) == expected
    assert broker.llen("jobs") == 0


def test_the_decorated_object_sends_the_declared_task(app) -> None:
    import taskobjects

    assert taskobjects.add.name == "jobs.add"
    assert taskobjects.add.expires == 5  # tasks.yaml's options, not the decorator's
    assert getattr(taskobjects.bound_flaky, "queue", None) is None  # not the decorator's
    assert app.amqp.router.route({}, "jobs.bound_flaky")["queue"].name == "jobs"
    assert app.tasks["jobs.bound_flaky"].max_retries == 3


def test_bound_plain_functions_own_app_tasks_and_base_classes_run(
    app, config, redis_url, tmp_path
) -> None:
    audit = tmp_path / "audit"
    plain = app.tasks["jobs.plain_bound"].delay(7)
    own = app.tasks["jobs.own_bound"].delay(3)
    audited = app.tasks["jobs.audited"].delay(21, audit=str(audit))
    with pytest.raises(InvalidTaskInput, match="n: input should be a valid integer"):
        app.tasks["jobs.own_bound"].delay("3")
    with celery_worker(app, config, redis_url, ["jobs"], tmp_path / "worker.log"):
        assert plain.get(timeout=30) == f"{plain.id}:7"
        assert own.get(timeout=30) == "jobs.own_bound:3"
        assert audited.get(timeout=30) == 42
    assert audit.read_text() == "jobs.audited 42"  # the project's on_success ran too


def test_dont_retry_on_fails_at_once_where_retry_on_would_retry(
    app, config, redis_url, tmp_path
) -> None:
    """`retry_on: [Exception]` with `dont_retry_on: [ValueError]`."""
    never, again = tmp_path / "never", tmp_path / "again"
    refused = app.tasks["jobs.picky"].delay(str(never), "ValueError")
    retried = app.tasks["jobs.picky"].delay(str(again), "RuntimeError")
    with celery_worker(app, config, redis_url, ["jobs"], tmp_path / "worker.log"):
        refused.get(timeout=30, propagate=False)
        retried.get(timeout=30, propagate=False)
    assert (refused.state, type(refused.result).__name__) == ("FAILURE", "ValueError")
    assert never.read_text().count("attempt") == 1
    assert (retried.state, type(retried.result).__name__) == ("FAILURE", "RuntimeError")
    assert again.read_text().count("attempt") == 4  # the first run and max_retries: 3


def test_task_parts_reads_every_kind_of_task_object_without_evaluating_it() -> None:
    from celery import Celery, shared_task

    from engine.imports import task_parts

    finalized = Celery("finalized", set_as_current=False)
    finalized.finalize()

    def double(self, n: int) -> int:
        return 2 * n

    def triple(n: int) -> int:
        return 3 * n

    instance = finalized.task(bind=True, rate_limit="1/s")(double)  # a Task, not a proxy
    lazy = Celery("lazy", set_as_current=False).task(queue="q")(triple)  # PromiseProxy
    shared = shared_task(bind=True, max_retries=7)(double)  # Proxy
    assert type(lazy).__name__ == "PromiseProxy" and type(shared).__name__ == "Proxy"
    parts = [task_parts(obj) for obj in (instance, lazy, shared)]
    assert [(p.fun, p.bind, p.options) for p in parts] == [
        (double, True, {"rate_limit": "1/s"}),
        (triple, False, {"queue": "q"}),
        (double, True, {"max_retries": 7}),
    ]
    assert task_parts(triple) is None
    assert not lazy.__evaluated__()  # its app was not finalized to read it
