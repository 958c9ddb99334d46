"""The pollination and germination system's background work.

Each public task function is a plain function with JSON-safe arguments and
results; the engine registers them with Celery by name. No module here imports
Celery at import time (``polictl validate`` imports these modules).
"""

# Task name (as tasks.yaml declares it) -> handler ("module:function").
TASKS: dict[str, str] = {
    "alerts.process": "handlers.alerts:process_alerts",
    "alerts.weekly": "handlers.alerts:weekly_digest",
    "alerts.preventive": "handlers.alerts:preventive_alerts",
    "alerts.frequent": "handlers.alerts:escalate_frequent",
    "alerts.cleanup": "handlers.alerts:cleanup_alerts",
    "reports.generate": "handlers.reports:generate_report",
    "reports.export": "handlers.reports:export_report",
    "system.ping": "handlers.system:ping",
    "system.health_check": "handlers.system:health_check",
    "system.cleanup_logs": "handlers.system:cleanup_logs",
    "system.backup_database": "handlers.system:backup_database",
}
