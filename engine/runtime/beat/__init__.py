"""Beat: schedule objects driven by the model's time rule (schedule.py), the lock and state in
Redis (store.py), poli's scheduler with live reload (scheduler.py)."""
