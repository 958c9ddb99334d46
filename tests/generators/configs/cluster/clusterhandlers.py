"""Handlers for the Kubernetes generator tests (imported, never run)."""


def echo(value="pong"):
    return value
