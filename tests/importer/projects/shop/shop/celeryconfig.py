"""Settings as a plain module, loaded with config_from_object (the shape of many
non-Django projects)."""

broker_url = "redis://localhost:6379/3"
result_backend = "redis://localhost:6379/4"
timezone = "Europe/Madrid"
task_acks_late = True
worker_prefetch_multiplier = 1
worker_concurrency = 3
task_default_queue = "celery"
imports = ()
task_routes = [
    {"shop.send_*": {"queue": "mail"}},
    {"shop.rebuild_index": "search"},
]
