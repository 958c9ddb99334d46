from celery import Celery

app = Celery("market")
app.config_from_object("market.settings", namespace="CELERY")
app.autodiscover_tasks(["market"])
