"""Tasks registered in one place, with `shared=False` (each belongs to this app only)."""

from datetime import timedelta

from celery import Celery
from celery.schedules import crontab

from shop import jobs

app = Celery("shop")
app.config_from_object("shop.celeryconfig")

task = app.task
task(jobs.send_digest, name="shop.send_digest", shared=False,
     autoretry_for=(jobs.Unavailable, ConnectionError), retry_backoff=True, max_retries=5)  # fmt: skip
task(jobs.send_receipt, name="shop.send_receipt", shared=False,
     autoretry_for=(ConnectionError,), default_retry_delay=30, max_retries=2)  # fmt: skip
task(jobs.rebuild_index, name="shop.rebuild_index", shared=False,
     time_limit=300, soft_time_limit=240, rate_limit="2/s")  # fmt: skip
task(jobs.expire_carts, name="shop.expire_carts", shared=False, ignore_result=True)
task(jobs.ping, name="shop.ping", shared=False)

app.conf.beat_schedule = {
    "Rebuild search index": {
        "task": "shop.rebuild_index",
        "schedule": crontab(minute="*/15", hour="8-20", day_of_week="mon-fri"),
    },
    "send digest": {
        "task": "shop.send_digest",
        "schedule": crontab(minute=30, hour=7, day_of_month="1,15"),
        "args": ("weekly",),
        "options": {"queue": "mail"},
    },
    "odd-day mondays": {
        "task": "shop.ping",
        "schedule": crontab(minute=0, hour=9, day_of_month="*/2", day_of_week="mon"),
    },
    "expire carts": {"task": "shop.expire_carts", "schedule": timedelta(minutes=10)},
    "ping": {"task": "shop.ping", "schedule": 45.0},
}
