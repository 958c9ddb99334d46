"""Secrets never printed: URL credentials masked in any text poli reports.

Applied where a value leaves poli (diagnostics in text and JSON, command errors, status,
the worker's start-up errors), whatever key the value sat under. A password is matched
in URL userinfo (`scheme://user:PASSWORD@host`, also with a mangled scheme such as
`redis//:PASSWORD@host`), in a user-only userinfo (`redis://PASSWORD@host`, which Redis
takes as the password), and in `password=` query parameters.
"""

from __future__ import annotations

import re

MASK = "***"
_USERINFO = re.compile(r"(?P<lead>//)(?P<userinfo>[^\s/@'\"]+)@")
_QUERY = re.compile(r"(?P<key>[?&;](?:password|passwd|pass|pwd|secret|token)=)[^&\s'\"]+", re.I)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match["userinfo"].partition(":")
    kept = f"{user}:{MASK}" if colon else MASK
    return f"{match['lead']}{kept}@"


def mask_secrets(text: str) -> str:
    """`text` with every URL password replaced by ***."""
    return _QUERY.sub(rf"\g<key>{MASK}", _USERINFO.sub(_mask_userinfo, text))
