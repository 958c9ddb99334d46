"""`polictl import`: an existing Celery app -> queues.yaml, tasks.yaml, schedules.yaml.

reader (in a subprocess, the user's code contained) -> snapshot (plain JSON) -> translate
(table.py: the one translation table) -> emit (YAML with comments) -> write; check compares
the snapshots of the original app and of poli's app built from the written files.
"""
