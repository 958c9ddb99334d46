"""A Django-style settings module: Celery's settings under the CELERY_ namespace."""

import re

CELERY_BROKER_URL = "redis://newsroom:hunter2@redis.internal:6379/0"
CELERY_RESULT_BACKEND = "redis://newsroom:hunter2@redis.internal:6379/1"
CELERY_TIMEZONE = "UTC"
CELERY_ACCEPT_CONTENT = ["json", "pickle"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ROUTES = (
    {re.compile(r"newsroom\.feeds\.tasks\.(fetch|parse)_.*"): {"queue": "feeds"}},
    "newsroom.routing.route_by_priority",
)
