"""The seed guide's hand-written setup: settings from the environment, queues, routes,
time limits in decorators, a beat schedule (one entry added at start-up)."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

app = Celery("sistema_polinizacion")
app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL", "redis://:s3cret@localhost:6379/0"),
    result_backend=os.environ.get("CELERY_RESULT_BACKEND", "redis://:s3cret@localhost:6379/0"),
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    timezone="America/Bogota",
    enable_utc=True,
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    task_time_limit=30 * 60,
    task_soft_time_limit=25 * 60,
    result_expires=3600,
    task_default_queue="default",
    task_queues=(
        Queue("default", Exchange("default"), routing_key="default"),
        Queue("alerts", Exchange("alerts"), routing_key="alerts"),
        Queue("reports", Exchange("reports"), routing_key="reports"),
        Queue("system", Exchange("system"), routing_key="system"),
    ),
    task_routes={
        "alerts.tasks.*": {"queue": "alerts"},
        "reports.tasks.*": {"queue": "reports"},
        "system.tasks.*": {"queue": "system"},
    },
)
app.conf.beat_schedule = {
    "process-alerts": {"task": "alerts.tasks.process_alerts", "schedule": crontab(minute=0)},
    "weekly-alerts": {
        "task": "alerts.tasks.weekly_alerts",
        "schedule": crontab(hour=8, minute=0, day_of_week=1),
    },
    "preventive-alerts": {
        "task": "alerts.tasks.preventive_alerts",
        "schedule": crontab(hour=9, minute=0),
    },
    "frequent-alerts": {
        "task": "alerts.tasks.frequent_alerts",
        "schedule": crontab(hour=10, minute=0),
    },
    "cleanup-old-alerts": {
        "task": "alerts.tasks.cleanup_old_alerts",
        "schedule": crontab(hour=2, minute=0, day_of_week="sunday"),
        "kwargs": {"days": 90},
    },
}
app.autodiscover_tasks(["alerts", "reports", "system"])


@app.on_after_configure.connect
def add_system_schedules(sender, **kwargs):
    sender.add_periodic_task(crontab(hour=6, minute=0), health_check_sig(), name="health-check")


def health_check_sig():
    return app.signature("system.tasks.health_check")
