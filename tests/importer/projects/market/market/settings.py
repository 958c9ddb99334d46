"""A Django-style settings module in the older spelling (CELERY_QUEUES, CELERY_DEFAULT_QUEUE)
with a RabbitMQ broker whose credentials come from the environment."""

import os

from celery.schedules import crontab
from kombu import Exchange, Queue

TIME_ZONE = "Europe/Moscow"
RABBITMQ_PASSWORD = os.getenv("RABBITMQ_PASSWORD", "guest-secret")
CELERY_BROKER_URL = f"amqp://market:{RABBITMQ_PASSWORD}@rabbit:5672/"
CELERY_QUEUES = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("celery", Exchange("celery"), routing_key="celery"),
    Queue("feeds", Exchange("projects", type="direct"), routing_key="feeds"),
)
CELERY_DEFAULT_QUEUE = "default"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_BEAT_SCHEDULE = {
    "send_statistic_project": {
        "task": "send_statistic_project",
        "schedule": crontab(minute="0", hour="0"),
    },
}
