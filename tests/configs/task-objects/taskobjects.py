"""Handlers written as real Celery projects write them: task objects, bound or not."""

from pathlib import Path

from celery import Celery, Task, shared_task

own_app = Celery("userapp")  # a project's own app, as in `proj/celery.py`


class Flaky(Exception):
    pass


@shared_task(bind=True, max_retries=10, queue="elsewhere")
def bound_flaky(self, marker: str, fail_times: int = 1) -> dict:
    """Retries itself with `self.retry` until it has failed `fail_times` times."""
    path = Path(marker)
    with path.open("a") as out:
        out.write(f"{self.request.id} {self.request.retries}\n")
    self.update_state(state="PROGRESS", meta={"attempt": self.request.retries})
    if self.request.retries < fail_times:
        raise self.retry(exc=Flaky("not yet"), countdown=0.2)
    return {"id": self.request.id, "retries": self.request.retries, "name": self.name}


@shared_task
def add(x: int, y: int) -> int:
    return x + y


@own_app.task(bind=True)
def own_bound(self, n: int) -> str:
    return f"{self.name}:{n}"


def plain_bound(self, n: int) -> str:
    """A plain function that asks for the task (`bind: true` in tasks.yaml)."""
    return f"{self.request.id}:{n}"


class Audited(Task):
    """A project's own base class: every success leaves a line in `audit_file`."""

    def on_success(self, retval, task_id, args, kwargs):
        Path(kwargs["audit"]).write_text(f"{self.name} {retval}")


def audited(n: int, audit: str) -> int:
    return n * 2


class NotATask:
    pass


def picky(marker: str, error: str) -> None:
    """Counts its attempts in `marker`, then raises the builtin exception named `error`."""
    with Path(marker).open("a") as out:
        out.write("attempt\n")
    raise {"ValueError": ValueError, "RuntimeError": RuntimeError}[error](error)
