"""Bulk fan-out: many calls of one task, published on one connection in pipelined batches.

`send_many(app, "reports.export", [[1], [2], ...])` sends the messages a loop of
`apply_async` would send (same headers, body, routing; a fresh task id each), but builds
them from one template and lets kombu pipeline the publishes (`Producer.batch`), so
10,000 sends cost one round trip per batch instead of one per message.

How the template stays exact: the first call goes through Celery's own `send_task`,
whose final `publish` is captured instead of sent; every other message copies it and
changes only what differs per call (task id, root id, args, kwargs and their reprs).
Where Celery would do more per message (a task-sent event, publish signals with
receivers), every call goes through `send_task` instead, on the same batched producer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from kombu import Producer
from kombu.utils.uuid import uuid

from engine.runtime.tasks.checked import CHECKED, check_inputs

if TYPE_CHECKING:
    from celery import Celery

BATCH_SIZE = 1000  # messages per pipeline round trip

Call = Sequence[Any] | tuple[Sequence[Any], Mapping[str, Any]]


class _Capture(Producer):
    """A producer that records the one `publish` Celery makes instead of sending it."""

    captured: tuple[Any, dict[str, Any]] | None = None

    def publish(self, body: Any, routing_key: str | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        if self.captured is not None:  # a second publish (an event): not a plain task send
            raise _NotPlain
        self.captured = (body, {"routing_key": routing_key, **kwargs})


class _NotPlain(Exception):
    """Celery publishes more than the task message: use its full path for every call."""


def split_call(call: Any) -> tuple[Sequence[Any], Mapping[str, Any]]:
    """A call is a list of args, or an `{"args": [...], "kwargs": {...}}` mapping."""
    if isinstance(call, Mapping):
        return call.get("args") or (), call.get("kwargs") or {}
    return call, {}


def send_many(
    app: Celery, task: str, calls: Iterable[Any], batch_size: int = BATCH_SIZE
) -> list[str]:
    """Send one `task` message per call; returns the task ids, in order.

    A broker error part way raises, and some messages may already be queued (as with a
    loop of `apply_async` that fails part way)."""
    pairs = [split_call(call) for call in calls]
    if not pairs:
        return []
    _check_arguments(app, task, pairs)
    with app.producer_or_acquire() as producer:
        batch = producer.batch(batch_size) if hasattr(producer, "batch") else nullcontext()
        with batch:
            if _plain(app):
                try:
                    return _from_template(app, task, pairs, producer)
                except _NotPlain:
                    pass
            return [_send(app, task, args, kwargs, producer).id for args, kwargs in pairs]


def _check_arguments(
    app: Celery, task: str, pairs: list[tuple[Sequence[Any], Mapping[str, Any]]]
) -> None:
    """What `apply_async` checks per call, for every call before any is sent: Celery's own
    signature check (TypeError, as apply_async raises it), then poli's one input check
    (engine.inputs.check_call: signature and type hints, after a JSON round trip)."""
    registered = app.tasks.get(task)
    for args, kwargs in pairs:
        if registered is not None and registered.typing:
            registered.__header__(*args, **kwargs)
        check_inputs(app, task, args, kwargs)


def _send(
    app: Celery, task: str, args: Sequence[Any], kwargs: Mapping[str, Any], producer: Producer
):
    """One call as `apply_async` sends it (the task's own options), else as `send_task`."""
    registered = app.tasks.get(task)
    if registered is not None:
        return registered.apply_async(
            args, kwargs, producer=producer, add_to_parent=False, **{CHECKED: True}
        )
    return app.send_task(
        task, args, kwargs, producer=producer, add_to_parent=False, **{CHECKED: True}
    )


def _plain(app: Celery) -> bool:
    """True when a task send is one publish and nothing else that could differ per call."""
    from celery.signals import after_task_publish, before_task_publish

    publish_hooks = before_task_publish.receivers or after_task_publish.receivers
    return not (app.conf.task_send_sent_event or publish_hooks)


def _from_template(
    app: Celery, task: str, pairs: list[tuple[Sequence[Any], Mapping[str, Any]]], producer: Producer
) -> list[str]:
    capture = _Capture(producer.channel, auto_declare=False)
    first_args, first_kwargs = pairs[0]
    _send(app, task, first_args, first_kwargs, capture)
    if capture.captured is None:
        raise _NotPlain
    body, publish = capture.captured
    template_id = publish["headers"]["id"]
    ids: list[str] = []
    for args, kwargs in pairs:
        task_id = uuid() if ids else template_id
        producer.publish(_body(body, args, kwargs), **_options(app, publish, task_id, args, kwargs))
        ids.append(task_id)
        # The first publish declared the queue on this connection; kombu would copy and
        # look the queue up again per message only to find it declared.
        publish["declare"] = []
    return ids


def _body(template: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    _, _, embed = template  # protocol 2: (args, kwargs, {callbacks, errbacks, chain, chord})
    return (args, kwargs, embed)


def _options(
    app: Celery,
    template: dict[str, Any],
    task_id: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    headers = dict(template["headers"])
    if headers["root_id"] == headers["id"]:  # sent from outside a task: each is its own root
        headers["root_id"] = task_id
    maxlevels = app.conf.task_repr_maxlevels
    headers["id"] = task_id
    # as Celery's `as_task_v2` writes them, empty args included
    headers["argsrepr"] = header_repr(args or (), app.amqp.argsrepr_maxsize, maxlevels)
    headers["kwargsrepr"] = header_repr(kwargs or {}, app.amqp.kwargsrepr_maxsize, maxlevels)
    return {**template, "headers": headers, "correlation_id": task_id}


# Characters whose repr() is the character itself: saferepr writes the others its own way.
_PLAIN_TEXT = frozenset(map(chr, range(32, 127))) - {"'", '"', "\\"}


def header_repr(value: Any, maxsize: int, maxlevels: int) -> str:
    """Celery's `saferepr(value, maxsize, maxlevels=...)`, which a third of a bulk send spent
    in: for JSON-like values within its depth and size, with strings of plain ASCII, it
    equals `repr(value)` (tests/engine/test_bulk.py compares the two on random values)."""
    if _simple(value, maxlevels):
        text = repr(value)
        if len(text) < maxsize:
            return text
    from celery.utils.saferepr import saferepr

    return saferepr(value, maxsize, maxlevels=maxlevels)


def _simple(value: Any, levels: int) -> bool:
    kind = type(value)
    if kind is int or kind is float or kind is bool or value is None:
        return True
    if kind is str:
        return _PLAIN_TEXT.issuperset(value)
    if kind is list or kind is tuple:
        return levels > 0 and all(_simple(item, levels - 1) for item in value)
    if kind is dict:
        return levels > 0 and all(
            type(key) is str and _PLAIN_TEXT.issuperset(key) and _simple(item, levels - 1)
            for key, item in value.items()
        )
    return False
