"""The operator console (`polictl console`): schedules, calendar, dead letters, queues and
config in a browser, server-rendered (Flask and Jinja2 templates beside it, served by
waitress), behind the operator login. Every action calls the code the CLI calls."""
