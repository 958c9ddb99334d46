"""A task object whose lazy proxy its own app already evaluated (the app finalized while the
module loaded, as `app.register_task` or a Django project's start-up does) is still a task
object to poli: its function, bind and options, not an AttributeError."""

from __future__ import annotations

from celery import Celery

from engine.imports import task_parts


def test_an_evaluated_promise_proxy_gives_its_task_parts():
    app = Celery("evaluated-proxy-test", set_as_current=False)

    @app.task(shared=False, bind=True, time_limit=7)
    def bound(self, n: int) -> int:
        return n

    app.finalize(auto=True)
    assert type(bound).__name__ == "PromiseProxy" and bound.__evaluated__()
    parts = task_parts(bound)
    assert parts is not None
    assert (parts.fun.__name__, parts.bind, parts.options.get("time_limit")) == ("bound", True, 7)
