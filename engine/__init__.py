"""poli engine: YAML -> validated model -> Celery app."""
