"""The handlers the bad-config corpus points at."""

CONSTANT = 42


def echo(value="pong"):
    return value
