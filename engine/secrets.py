"""Secrets never printed: the one masking rule for everything poli reports or stores.

Applied where a value leaves poli: diagnostics in text and JSON, command errors, `polictl
config`, status, dead letters (stored and shown), the worker's and beat's logs, printed
task arguments. Masked, whatever key the value sat under:

- a URL's password (`scheme://user:PASSWORD@host`, also a password holding `:` or `@`,
  a mangled scheme such as `redis//:PASSWORD@host`, or none at all, `user:PASSWORD@host`),
  and a user-only userinfo (`redis://PASSWORD@host`, which Redis takes as the password);
- query parameters named like a secret (`?password=`, `&token=`, `api_key=`, ...);
- `Bearer TOKEN` / `Basic CREDENTIALS` (an Authorization header's value);
- values under a key named like a secret, in JSON (`"password": "x"`), YAML or `k=v` text.

`mask_value(key, value)` and `mask_data(obj)` apply the same rule to structured values;
`mask_keys(obj)` masks by key name only (what dead letters store, so replays still work).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
# A key whose value is a secret: it ends with one of these words (redis_password, api_key).
SECRET_KEY = re.compile(
    r"(?:pass(?:word|wd)?|pwd|secret(?:_?key)?|token|api_?key|access_?key|authorization"
    r"|credentials?|private_?key)$",
    re.I,
)
_STOP = r"\s/'\"<>`"
# scheme://[user][:password]@ : the password runs to the last @ before the host.
_URL = re.compile(
    rf"(?P<lead>(?:[A-Za-z][\w+.-]*:)?//)(?P<user>[^{_STOP}:@]*)(?::(?P<pw>[^{_STOP}]*))?@(?=[\w\[])"
)
# :password@host with no scheme (a URL that lost it: `user:PASSWORD@host`, `redis:/:PW@host`).
_BARE = re.compile(rf"(?P<lead>:)(?P<pw>[^{_STOP}:]+)@(?=[\w\[])")
_KEY = r"[\w.-]*?(?:pass(?:word|wd)?|pwd|secret(?:_?key)?|token|api_?key|access_?key|authorization|credentials?|private_?key)"
_QUERY = re.compile(rf"(?P<lead>[?&;]{_KEY}=)[^&\s'\"]+", re.I)
_AUTH = re.compile(r"(?P<lead>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{4,}", re.I)
_QUOTED_KEY = re.compile(rf"(?P<lead>(?P<q>[\"']){_KEY}(?P=q)\s*[:=]\s*)(?P<v>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s,}}\]]+)", re.I)  # fmt: skip
_PLAIN_KEY = re.compile(
    rf"(?P<lead>(?<![\w\"'])(?:{_KEY})\s*[:=]\s*)(?!(?:Bearer|Basic)\s|\*\*\*)(?P<v>[^\s,;&'\"}}\]]+)",
    re.I,
)


def _url(match: re.Match[str]) -> str:
    user, password = match["user"], match["pw"]
    if password is not None:
        return f"{match['lead']}{user}:{MASK}@"
    return f"{match['lead']}{MASK}@" if user else match.group(0)


def _quoted(match: re.Match[str]) -> str:
    value = match["v"]
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match['lead']}{quote}{MASK}{quote}"


# Every secret form above holds `@` or one of these words: a text with neither (most log
# lines a worker writes, one or two per task) is returned after a few substring scans, not
# six regular expressions (a case-insensitive regex alternation costs ~8 µs a line here).
_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "bearer", "basic")


def mask_secrets(text: str) -> str:
    """`text` with every secret the rule above names replaced by ***."""
    if "@" in text:
        text = _URL.sub(_url, text)
        text = _BARE.sub(rf"\g<lead>{MASK}@", text)
    lowered = text.lower()
    if not any(word in lowered for word in _WORDS):
        return text
    text = _QUERY.sub(rf"\g<lead>{MASK}", text)
    text = _AUTH.sub(rf"\g<lead>{MASK}", text)
    text = _QUOTED_KEY.sub(_quoted, text)
    return _PLAIN_KEY.sub(rf"\g<lead>{MASK}", text)


def is_secret_key(key: str) -> bool:
    """Whether a key (or the last part of a dotted path) names a secret: SECRET_KEY is
    anchored at the end and its words hold no `.`, so the whole path reads the same."""
    return bool(SECRET_KEY.search(key))


def mask_value(key: str, value: Any) -> Any:
    """A value shown under `key`: all of it when the key names a secret, else its text masked."""
    if is_secret_key(key) and value not in (None, "", {}, []):
        return MASK
    return mask_data(value)


def mask_keys(value: Any) -> Any:
    """A JSON-like value with the values under secret-named keys masked, and nothing else:
    what a dead letter stores (a URL argument stays, so a replay sends what was sent)."""
    if isinstance(value, dict):
        return {
            k: MASK if is_secret_key(str(k)) and v not in (None, "") else mask_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(mask_keys(v) for v in value)
    return value


def mask_data(value: Any) -> Any:
    """A JSON-like value (task arguments, a letter) with secrets masked, by key and by text."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_data(v) for v in value)
    return value
