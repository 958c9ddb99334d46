"""Secrets never printed: URL credentials masked in any text poli reports.

Applied where a value leaves poli (diagnostics in text and JSON, command errors, status,
the worker's start-up errors, printed task arguments), whatever key the value sat under.
Masked: the password of a URL's userinfo (`scheme://user:PASSWORD@host`, also with a
mangled scheme such as `redis//:PASSWORD@host` or none at all, `user:PASSWORD@host`), a
user-only userinfo (`redis://PASSWORD@host`, which Redis takes as the password), and
`password=`-like query parameters.
"""

from __future__ import annotations

import re

MASK = "***"
_STOP = r"\s/@'\"<>`"
_USER_ONLY = re.compile(rf"(?P<lead>//)[^{_STOP}:]+@")
_PASSWORD = re.compile(rf"(?P<lead>:)[^{_STOP}:]+@(?=[\w\[])")
_QUERY = re.compile(r"(?P<lead>[?&;](?:password|passwd|pass|pwd|secret|token)=)[^&\s'\"]+", re.I)


def mask_secrets(text: str) -> str:
    """`text` with every URL password replaced by ***."""
    text = _PASSWORD.sub(rf"\g<lead>{MASK}@", text)
    text = _USER_ONLY.sub(rf"\g<lead>{MASK}@", text)
    return _QUERY.sub(rf"\g<lead>{MASK}", text)
