from celery import shared_task


@shared_task(time_limit=60, soft_time_limit=50, acks_late=False)
def health_check() -> str:
    return "ok"


@shared_task
def cleanup_logs(days: int = 14) -> int:
    return days
