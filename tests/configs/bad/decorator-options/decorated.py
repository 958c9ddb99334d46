from celery import shared_task


@shared_task(bind=True, time_limit=600, rate_limit="5/m", acks_late=False)
def echo(self, value: str = "pong") -> str:
    return value
