from celery import shared_task


@shared_task(time_limit=600, soft_time_limit=540)
def generate_report(kind: str = "summary") -> str:
    return kind


@shared_task(rate_limit="10/m", ignore_result=True)
def export_report(report_id: int) -> None:
    return None
