"""Checks of queues.yaml's `deploy:` that its schema cannot express.

The schema already refuses what a pattern can say (relative paths, control characters,
account names); what is left depends on more than one value.
"""

from __future__ import annotations

import os

from engine.config.options import effective
from engine.config.read.loader import Document, error
from engine.diagnostics import Diagnostic
from engine.model import EMBEDDED_BROKER
from engine.model.broker import (
    MAX_SOCKET_PATH,
    deployed_socket_path,
    longest_state_dir,
    socket_fits,
)


def check(queues: Document) -> list[Diagnostic]:
    """The embedded broker listens on `<state_dir>/redis/redis.sock`: it must fit the kernel's
    limit for a unix socket path, or no rendered Redis could start."""
    data = queues.data if isinstance(queues.data, dict) else {}
    broker = data.get("broker")
    if not isinstance(broker, dict) or broker.get("url") != EMBEDDED_BROKER:
        return []
    state_dir = effective("deploy", data.get("deploy"))["state_dir"]
    if not isinstance(state_dir, str):
        return []
    socket = deployed_socket_path(state_dir)
    if socket_fits(socket):
        return []
    size = len(os.fsencode(socket))
    return [
        error(
            queues.pos(("deploy", "state_dir")),
            "socket-too-long",
            f"deploy.state_dir is too long for the embedded broker: its socket {socket}"
            f" has {size} bytes, at most {MAX_SOCKET_PATH} fit",
            f"use a state_dir of at most {longest_state_dir()} characters, or an external broker",
        )
    ]
