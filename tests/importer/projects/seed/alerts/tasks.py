from celery import shared_task


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=60, retry_backoff_max=900, max_retries=3
)
def process_alerts() -> int:
    return 0


@shared_task
def weekly_alerts() -> int:
    return 0


@shared_task
def preventive_alerts() -> int:
    return 0


@shared_task
def frequent_alerts() -> int:
    return 0


@shared_task(time_limit=15 * 60, soft_time_limit=14 * 60)
def cleanup_old_alerts(days: int = 30) -> int:
    return days


@shared_task(bind=True, max_retries=3)
def process_alert(self, alert_id: int) -> dict:
    try:
        return {"status": "success", "alert_id": alert_id}
    except ConnectionError as exc:
        raise self.retry(exc=exc, countdown=60) from exc
