"""Handlers in the analytics platform's style: the project's own app, `ignore_result`, bound."""

from celery import Celery

app = Celery("analytics")


@app.task(ignore_result=True)
def redis_heartbeat() -> None:
    return None


@app.task(ignore_result=True)
def queue_depth() -> None:
    return None


def noop() -> None:
    return None


@app.task(ignore_result=True)
def send_usage_reports(dry_run: bool = False, at: str | None = None) -> None:
    return None


@app.task(ignore_result=True, bind=True)
def execute_with_progress(self, team_id: int, query_id: str, query: str) -> str:
    return f"{self.request.id}:{team_id}:{query_id}"


@app.task(ignore_result=True, max_retries=1)
def send_invite(invite_id: str) -> None:
    return None
