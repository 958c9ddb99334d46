"""Task inputs checked at both ends: before a message is published, and before a handler runs.

`PoliCelery.send_task` is where every send from Python ends (`delay` and `apply_async` call
it too), so arguments that do not fit the handler's contract (engine.inputs) never reach the
broker: the caller gets InvalidTaskInput at once. They are checked as the worker will receive
them, after a JSON round trip (a tuple arrives as a list, a date as a date). `CheckedTask`
checks again where the worker (or eager mode) calls the handler, outside the autoretry
wrapper, so a message sent by an older client or by hand fails at once and is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from celery import Celery, Task, signals
from kombu.utils.json import dumps, loads

from engine.imports import ImportProblem
from engine.model import Platform
from engine.runtime.tasks.local import note_retry, time_limits, wait_for_retry

if TYPE_CHECKING:  # imported on first use: every worker, beat and inspect imports this module
    from engine.inputs import InputContract


def _contract(app: Celery, name: str) -> InputContract | None:
    """Task `name`'s contract (None: not declared), looked up once per app and name: this
    runs on every send and every task run."""
    contracts = getattr(app, "poli_contracts", None)
    if contracts is None:  # a plain Celery app (a user's own, in tests): nothing declared
        return None
    if name not in contracts:
        handler = getattr(app, "poli_handlers", {}).get(name)
        if handler is None:
            contracts[name] = None
        else:
            from engine.inputs import contract_for

            contracts[name] = contract_for(*handler)  # ImportProblem: not kept, raised again
    return contracts[name]


def check_inputs(app: Celery, name: str, args: Sequence[Any] | None, kwargs: Any) -> None:
    """Raise InvalidTaskInput when `args`/`kwargs` do not fit task `name` (a declared one)."""
    contract = _contract(app, name)
    if contract is None or not isinstance(args or (), list | tuple):
        return  # not a declared task, or args Celery itself refuses ("must be a list or tuple")
    if not isinstance(kwargs or {}, Mapping):
        return
    args, kwargs = list(args or ()), dict(kwargs or {})
    if not (_plain(args) and _plain(kwargs)):
        try:  # as the worker will receive them: a tuple arrives as a list, a date as a date
            args, kwargs = loads(dumps([args, kwargs]))
        except (TypeError, ValueError):
            return  # not JSON: Celery's serializer refuses it with its own message
    contract.check(name, args, kwargs)


def _plain(value: Any) -> bool:
    """JSON's own types, which the round trip would give back unchanged."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return False


_SCALARS = frozenset({str, int, float, bool, type(None)})


class CheckedTask(Task):
    """The base of every task the poli app declares."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        contract = _contract(self.app, self.name)
        if contract is not None:
            contract.check(self.name, args, kwargs)
        with time_limits(self):
            return super().__call__(*args, **kwargs)

    def apply(
        self, args: Sequence[Any] | None = None, kwargs: Mapping[str, Any] | None = None, **opts
    ) -> Any:
        """Eager runs (`task_always_eager`, `polictl run --local`) are refused at the call
        too, not only recorded as a failed result."""
        if not opts.get("retries"):
            check_inputs(self.app, self.name, args, kwargs)
        wait_for_retry(opts.get("retries"), opts.get("countdown"))
        return super().apply(args, kwargs, **opts)

    def on_retry(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        note_retry(exc)


# A send option: these arguments went through check_inputs already (send_many checks all
# calls before it sends any; each would otherwise be checked twice on its way out).
CHECKED = "poli_inputs_checked"


class PoliCelery(Celery):
    """The Celery app poli builds: declared tasks are checked before they are published."""

    task_cls = "engine.runtime.tasks.checked:CheckedTask"
    platform: Platform  # the model it is built from (beat starts from it, then reloads)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.poli_handlers: dict[str, tuple[str, bool]] = {}  # task -> (handler spec, bind)
        self.poli_contracts: dict[str, InputContract | None] = {}  # built on first use
        self.poli_broker_client: tuple[int | None, Any] = (None, None)  # (pid, redis client)

    def use_platform(self, platform: Platform) -> None:
        """The model this app runs: its tasks' handlers are what inputs are checked against."""
        self.platform = platform
        self.poli_handlers = {task.name: (task.handler, task.bind) for task in platform.tasks}
        self.poli_contracts = {}

    def send_task(
        self, name: str, args: Sequence[Any] | None = None, kwargs: Any = None, **options: Any
    ) -> Any:
        if not options.pop(CHECKED, False):  # send_many checked every call before the first
            check_inputs(self, name, args, kwargs)
        return super().send_task(name, args, kwargs, **options)


@signals.worker_init.connect(weak=False)
def _build_checks_before_forking(sender: Any = None, **_: Any) -> None:
    """Build every task's checks in the worker's main process, so pool processes inherit
    them instead of each paying for pydantic on its first task."""
    from engine.inputs import contract_for

    for handler in set(getattr(getattr(sender, "app", None), "poli_handlers", {}).values()):
        try:
            contract_for(*handler).adapter  # noqa: B018 - built and cached
        except ImportProblem:
            pass  # the task itself will fail with this message when it runs
