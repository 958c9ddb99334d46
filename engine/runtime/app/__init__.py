"""The Celery app built from the model: its one settings table (build.py), Celery's own
environment variables kept out (yaml_only.py), the heartbeat file for liveness probes."""
