"""The operator login of the local stack's web UIs (Flower): POLI_WEB_USER (default
`admin`) and POLI_WEB_PASSWORD from polictl's environment, else a password generated
once per data dir and kept there, readable by this user only."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from generators.common import WEB_DEFAULT_USER, WEB_PASSWORD, WEB_USER
from polictl import files as atomic
from polictl.stack.layout import Layout


@dataclass(frozen=True)
class WebLogin:
    user: str
    password: str
    source: str  # where the password comes from, in words

    def environment(self) -> dict[str, str]:
        return {WEB_USER: self.user, WEB_PASSWORD: self.password}


def web_login(layout: Layout, environ: Mapping[str, str] = os.environ) -> WebLogin:
    user = environ.get(WEB_USER) or WEB_DEFAULT_USER
    if environ.get(WEB_PASSWORD):
        return WebLogin(user, environ[WEB_PASSWORD], f"${WEB_PASSWORD}")
    path = layout.web_password_file
    try:
        password = path.read_text().strip()
    except OSError:
        password = ""
    if not password:
        password = secrets.token_urlsafe(18)
        atomic.write_text(path, password + "\n", mode=0o600)
    return WebLogin(user, password, str(path))
