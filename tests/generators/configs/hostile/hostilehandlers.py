"""Handlers for the hostile-values case (imported, never run)."""


def echo(*args):
    return args
