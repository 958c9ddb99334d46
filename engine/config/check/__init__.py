"""Stage 2, check: the JSON Schema first (schema.py), then each YAML section's own checks that a
schema cannot express (broker, schedules, cron fields, deploy, hosts, kubernetes, pools,
reliability, transport); `targets` holds what a render format needs beyond a valid config.
Every check returns Diagnostics; none raises on a user mistake."""
