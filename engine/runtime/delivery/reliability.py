"""At-least-once delivery on Redis, and failures kept as dead letters.

What each piece is for:
- A pool process that dies mid-task gives its message back at once
  (`task_reject_on_worker_lost`, for tasks with `acks_late`): the task runs again, so
  handlers must be idempotent.
- A worker main process that dies leaves its unacknowledged messages in kombu's
  `unacked` hash. They come back once their score in `unacked_index` (delivery time) is
  older than the visibility timeout, swept by any live worker every `sweep_interval`.
  The visibility timeout is short (3/4 of `reliability.redeliver_within`), so a live
  worker re-scores the messages it holds every `refresh_interval` (the `HeldMessages`
  consumer step): a task running for an hour is never handed to a second worker.
- A message whose worker dies on every delivery (a poison message) is dead-lettered,
  not run, once it has been delivered `max_deliveries` times.
- A task that fails for good is written to the dead-letter store (engine.runtime.delivery.deadletter).
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from celery import Task, signals
from celery.exceptions import Ignore

from engine.model.broker import is_redis
from engine.runtime.broker import plain_client, state_client
from engine.runtime.tasks.checked import CheckedTask
from engine.secrets import mask_keys, mask_secrets

if TYPE_CHECKING:
    from celery import Celery

    from engine.model import Platform
    from engine.runtime.delivery.deadletter import DeadLetterStore

logger = logging.getLogger("poli.reliability")
DELIVERIES = "poli:deliveries:"  # + task id: deliveries counted since the first redelivery
DELIVERIES_TTL = 7 * 86400
STATE_TIMEOUT = 5.0  # seconds: a worker's connect and reply timeout on a state Redis of its own


def reliability_settings(platform: Platform) -> dict[str, Any]:
    """The Celery settings behind at-least-once delivery and honest results."""
    policy = platform.reliability
    return {
        "task_reject_on_worker_lost": True,
        # A result the broker could not take (an outage) is retried, not turned into a
        # failure of work that succeeded; see README "Faults".
        "result_backend_always_retry": True,
        # full-jitter backoff capped at 5 s: about 2.5 s a retry once past the first few
        "result_backend_max_retries": int(policy.result_retry / 2.5) + 5,
        "result_backend_base_sleep_between_retries_ms": 100,
        "result_backend_max_sleep_between_retries_ms": 5000,
    }


def uses_redis(app: Celery) -> bool:
    """Whether the broker is a Redis (the only transport poli's reliability features use)."""
    return is_redis(app.conf.broker_url)


def keeps_state(app: Celery) -> bool:
    """Whether a Redis keeps poli's own state (dead letters, delivery counts): the broker,
    else the result backend, else `broker.state_url` (an amqp:// broker)."""
    return hasattr(app, "platform") and app.platform.broker.state_store is not None


def broker_client(app: Celery) -> Any:
    """A redis-py client on the Redis of poli's state (the broker's database when it is a
    Redis), one per process (pool children fork). It prefixes nothing: poli's keys take
    `global_keyprefix` from `key()`."""
    pid, client = app.poli_broker_client
    if pid != os.getpid():
        if uses_redis(app):
            client = plain_client(app.connection_for_write().default_channel)
        else:
            client = state_client(app.platform, timeout=STATE_TIMEOUT)
        app.poli_broker_client = (os.getpid(), client)
    return client


def key(app: Celery, name: str) -> str:
    """One of poli's own keys, after the broker's `global_keyprefix`."""
    return app.platform.broker.key_prefix + name


def dead_letters(app: Celery) -> DeadLetterStore:
    from engine.runtime.delivery.deadletter import DeadLetterStore  # first failure: not at start-up

    policy = app.platform.reliability
    prefix = app.platform.broker.key_prefix
    return DeadLetterStore(
        broker_client(app), policy.dead_letter_keep, policy.dead_letter_max, prefix
    )


class ReliableTask(CheckedTask):
    """Counts redeliveries; dead-letters a message delivered more than `max_deliveries` times.
    (CheckedTask, beneath, checks the task's inputs.)"""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        redelivered = (request.delivery_info or {}).get("redelivered")
        if request.called_directly or not redelivered or not keeps_state(self.app):
            return super().__call__(*args, **kwargs)
        if _already_succeeded(self, request.id):
            logger.info("%s[%s] already succeeded: not run again", self.name, request.id)
            raise Ignore()
        counter = key(self.app, DELIVERIES + request.id)
        pipe = broker_client(self.app).pipeline()
        deliveries = 1 + int(pipe.incr(counter).expire(counter, DELIVERIES_TTL).execute()[0])
        limit = self.app.platform.reliability.max_deliveries
        if deliveries > limit:
            _poison(self, request, args, kwargs, deliveries - 1)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            broker_client(self.app).delete(counter)


def _already_succeeded(task: Task, task_id: str) -> bool:
    """Whether a run of this redelivered message stored its success (its ack was lost)."""
    if task.ignore_result:
        return False
    try:
        return task.backend.get_task_meta(task_id, cache=False).get("status") == "SUCCESS"
    except Exception:  # no result backend, or it is away: run it (at least once)
        return False


class PoisonMessage(Exception):
    """A message whose worker was lost on each of its deliveries."""


def _poison(task: Task, request: Any, args: tuple, kwargs: dict, deliveries: int) -> None:
    exc = PoisonMessage(f"its worker was lost on each of {deliveries} deliveries; not run again")
    record(task, request, exc, "", args, kwargs, reason="poison message", attempts=deliveries)
    if not task.ignore_result:
        task.backend.mark_as_failure(request.id, exc, request=request)
    broker_client(task.app).delete(key(task.app, DELIVERIES + request.id))
    raise Ignore()


def _reason(task: Task, exc: BaseException, retries: int) -> str:
    name = type(exc).__name__
    if name == "TimeLimitExceeded":
        return "time limit"
    if name == "WorkerLostError":
        return "worker lost"
    retryable = isinstance(exc, tuple(getattr(task, "autoretry_for", ()) or ()))
    return (
        "retries exhausted" if retryable and retries >= (task.max_retries or 0) else "not retried"
    )


def record(
    task: Task,
    request: Any,
    exc: BaseException,
    traceback: str,
    args: Any,
    kwargs: Any,
    reason: str | None = None,
    attempts: int | None = None,
) -> None:
    """Write the dead letter of a failed run (never raises: a lost letter is logged)."""
    retries = int(getattr(request, "retries", 0) or 0)
    delivery = getattr(request, "delivery_info", None) or {}
    headers = getattr(request, "headers", None) or {}
    declared = {t.name: t.queue for t in task.app.platform.tasks}
    from engine.runtime.delivery.deadletter import DeadLetter

    letter = DeadLetter(
        id=request.id,
        task=task.name,
        queue=delivery.get("routing_key") or declared.get(task.name, ""),
        # values under secret-named keys are not stored (engine.secrets.mask_keys): a letter
        # outlives its run; everything else is kept as sent, so a replay sends the same
        args=mask_keys(list(args or ())),
        kwargs=mask_keys(dict(kwargs or {})),
        exception=f"{type(exc).__name__}: {exc}",
        traceback=traceback,
        reason=reason or _reason(task, exc, retries),
        attempts=attempts if attempts is not None else retries + 1,
        failed_at=time.time(),
        replay_of=(headers.get("poli_replay_of") or getattr(request, "poli_replay_of", None)),
    )
    try:
        dead_letters(task.app).add(letter)
    except Exception:  # the broker is away: the failure is still in the worker's log
        logger.exception("could not write the dead letter of %s[%s]", task.name, request.id)


def _on_failure(
    sender: Task,
    task_id: str,
    exception: BaseException,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    app = getattr(sender, "app", None)
    if app is None or not keeps_state(app):
        return
    if app.conf.task_always_eager:  # no broker involved: the caller sees the error
        return
    request = sender.request if sender.request.id == task_id else _Request(task_id)
    record(sender, request, exception, str(einfo.traceback) if einfo else "", args, kwargs)


def _on_unknown(
    sender: Any, message: Any, exc: BaseException, name: str, id: str, **_: Any
) -> None:
    """A task this worker does not know (added to tasks.yaml after it started, or a typo in
    a sender): Celery rejects it without running it; poli keeps it as a dead letter."""
    app = getattr(sender, "app", None)
    if app is None or not keeps_state(app):
        return
    from engine.runtime.delivery.deadletter import DeadLetter

    try:
        args, kwargs, _embed = message.decode()
    except Exception:  # not Celery's message protocol 2: keep what can be kept
        args, kwargs = [], {}
    letter = DeadLetter(
        id=id,
        task=name,
        queue=(message.delivery_info or {}).get("routing_key", ""),
        args=mask_keys(list(args or ())),
        kwargs=mask_keys(dict(kwargs or {})),
        exception=f"NotRegistered: {name!r} is not a task of this worker",
        traceback="",
        reason="unregistered task",
        attempts=1,
        failed_at=time.time(),
    )
    try:
        dead_letters(app).add(letter)
    except Exception:
        logger.exception("could not write the dead letter of unregistered %s[%s]", name, id)


class _Request:
    """What a failure seen outside the task's own request (a hard time limit) still knows."""

    def __init__(self, task_id: str) -> None:
        self.id = task_id


class MaskSecrets(logging.Filter):
    """Masks URL credentials in every record a worker or beat logs (message and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        return True


def _mask_log_handlers(logger: logging.Logger, **_: Any) -> None:
    for handler in logger.handlers:
        if not any(isinstance(f, MaskSecrets) for f in handler.filters):
            handler.addFilter(MaskSecrets())


def install(app: Celery) -> None:
    """Wire the consumer step, the failure signal and log masking into `app` (build_app)."""
    app.steps["worker"].add(
        "engine.runtime.delivery.held_messages:HeldMessages"
    )  # imported by workers
    signals.task_failure.connect(_on_failure, weak=False, dispatch_uid="poli-dead-letters")
    signals.task_unknown.connect(_on_unknown, weak=False, dispatch_uid="poli-dead-unknown")
    for signal in (signals.after_setup_logger, signals.after_setup_task_logger):
        signal.connect(_mask_log_handlers, weak=False, dispatch_uid=f"poli-mask-{signal.name}")
