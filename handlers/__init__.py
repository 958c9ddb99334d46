"""The pollination and germination system's background work.

Each public task function is a plain function with JSON-safe arguments and
results; tasks.yaml names them, and the engine registers them with Celery. No
module here imports Celery at import time (``polictl validate`` imports them).
"""
