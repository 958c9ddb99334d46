"""Shared by tests that wait on real processes: polling with a deadline, HTTP status codes."""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.request
from collections.abc import Callable


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def http_status(url: str, login: tuple[str, str] | None = None) -> int:
    """The status of GET `url` (with HTTP basic `login`), 0 while nothing listens."""
    request = urllib.request.Request(url)
    if login:
        token = base64.b64encode(":".join(login).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0
