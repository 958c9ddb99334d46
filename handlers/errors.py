"""The exceptions a task raises, chosen for how the engine's retry policy treats them."""

from __future__ import annotations


class InvalidArgument(ValueError):
    """A task was called with a bad argument: a caller bug, never retried."""


class TransientError(ConnectionError):
    """A resource (the database) is unavailable for now: the retry policy retries it."""


class ConfigurationError(RuntimeError):
    """The deployment cannot do what was asked (e.g. no ``pg_dump`` on PATH): not retried."""
