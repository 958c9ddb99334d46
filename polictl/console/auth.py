"""The operator login the console shares with Flower: HTTP Basic, POLI_WEB_USER (default
`admin`) and POLI_WEB_PASSWORD from the environment (the stack's environment file)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from engine.diagnostics import UserError


@dataclass(frozen=True)
class Login:
    user: str
    password: str

    def __repr__(self) -> str:  # never print the password, even in a traceback
        return f"Login(user={self.user!r}, password='***')"

    def accepts(self, user: str | None, password: str | None) -> bool:
        """Constant-time comparison of both, so a wrong guess takes as long as a near one."""
        same_user = hmac.compare_digest((user or "").encode(), self.user.encode())
        same_password = hmac.compare_digest((password or "").encode(), self.password.encode())
        return same_user and same_password


def login_from(environ: Mapping[str, str] = os.environ) -> Login:
    """The login from the environment; a UserError when no password is set."""
    password = environ.get("POLI_WEB_PASSWORD", "")
    if not password:
        raise UserError(
            "the console needs an operator login, and POLI_WEB_PASSWORD is not set",
            hint="set POLI_WEB_PASSWORD (and POLI_WEB_USER, default admin) in the environment",
        )
    return Login(environ.get("POLI_WEB_USER") or "admin", password)
