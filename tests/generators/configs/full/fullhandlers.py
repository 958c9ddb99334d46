"""Handlers for the generator tests' full config (imported, never run)."""


def echo(value="pong"):
    return value
