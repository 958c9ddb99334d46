"""Commands that talk to the broker, whichever it is (the local stack's or a production
Redis or RabbitMQ): `run`, `ping`, `purge`, `dead`. Each opens one `session` (session.py),
which builds the app, checks the broker answers and turns its errors into the one user error."""
