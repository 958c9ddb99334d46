"""The shape of a Django project's celery.py: settings by namespace, autodiscovered tasks,
a beat schedule with a schedule class of its own, a database scheduler."""

from datetime import timedelta

from celery import Celery
from celery.schedules import crontab, schedule


class WeekdaysEvery(schedule):
    """Every `run_every`, Monday to Friday only."""

    def is_due(self, last_run_at):
        state = super().is_due(last_run_at)
        return state if self.now().weekday() < 5 else (False, state[1])


app = Celery("newsroom")
app.config_from_object("newsroom.settings", namespace="CELERY")
app.autodiscover_tasks(["newsroom.feeds"])
app.conf.beat_schedule = {
    "fetch-feeds": {
        "task": "newsroom.feeds.tasks.fetch_feeds",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "morning-edition": {
        "task": "newsroom.feeds.tasks.publish_edition",
        "schedule": WeekdaysEvery(timedelta(hours=1)),
    },
    "first-monday": {
        "task": "newsroom.feeds.tasks.publish_edition",
        "schedule": crontab(minute=0, hour=9, day_of_month="1-7", day_of_week="mon"),
    },
}
