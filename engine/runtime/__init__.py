"""The model at run time: the Celery app and its settings table, beat, the embedded broker.

Only this package imports Celery (and only `celery_app` and `beat` do, when imported)."""
