"""The pollination and germination system's background work.

Each public task function is a plain function with JSON-safe arguments and
results; the engine registers them with Celery by name. No module here imports
Celery at import time (``polictl validate`` imports these modules).
"""
