"""Handlers in a BI tool's style: `@shared_task` with the project's own names, one bound."""

from celery import shared_task


@shared_task(name="sql_lab.get_sql_results", bind=True)
def get_sql_results(self, query_id: int, rendered_query: str, return_results: bool = True) -> dict:
    return {"query_id": query_id, "task_id": self.request.id}


@shared_task(name="email_reports.send", ignore_result=True)
def send_email_report(report_type: str, schedule_id: int, recipients: str | None = None) -> None:
    return None


@shared_task(name="reports.scheduler")
def scheduler() -> None:
    return None


@shared_task(name="reports.execute", bind=True)
def execute_report(self, report_schedule_id: int, scheduled_dttm: str) -> None:
    return None


@shared_task(name="reports.prune_log")
def prune_log() -> None:
    return None


@shared_task(name="cache-warmup")
def cache_warmup(strategy_name: str, **kwargs: object) -> str:
    return strategy_name
