"""Celery values in the YAML's words: durations, rate limits, names, secret-free URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from engine.config.schemas import resolve

# The names the schemas allow (their one home): a queue or worker group; a task or schedule.
NAME = re.compile(resolve("queues", "#/$defs/name/pattern"))
CELERY_NAME = re.compile(resolve("tasks", "#/$defs/task_name/pattern"))


class NotCarried(ValueError):
    """A value the YAML cannot hold; the message says why."""


def duration(value: object) -> int | str:
    """Seconds as the YAML writes them: `90s`, `15m`, `1h30m` (whole seconds only)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotCarried(f"{value!r} is not a number of seconds")
    if value != int(value) or value < 0:
        raise NotCarried(f"{value!r} s is not a whole number of seconds")
    seconds = int(value)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text += f"{secs}s" if secs or not text else ""
    return text


def rate_limit(value: object) -> str | None:
    """`10/m`; a bare number is per second (Celery's rule)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}/s"
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?/[smh]", text):
        return text
    raise NotCarried(f"rate limit {value!r} is not N/s, N/m or N/h")


def secret_keys(options: dict) -> list[str]:
    """The keys of `options` (nested too) whose values are secrets, as dotted paths."""
    from engine.secrets import SECRET_KEY

    found = []
    for key, value in options.items():
        if isinstance(value, dict):
            found += [f"{key}.{inner}" for inner in secret_keys(value)]
        elif SECRET_KEY.search(str(key)) and value:
            found.append(str(key))
    return found


def without_keys(options: dict, paths: list[str]) -> dict:
    kept = {}
    for key, value in options.items():
        inner = [p.split(".", 1)[1] for p in paths if p.startswith(f"{key}.")]
        if str(key) in paths:
            continue
        kept[key] = without_keys(value, inner) if isinstance(value, dict) else value
    return kept


def slug(name: str) -> str:
    """A schedule's name as the YAML allows it: "Process Alerts" -> process-alerts."""
    text = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")
    if not text or not text[0].isalpha():
        text = f"s-{text}"
    return text[:63].rstrip("-.")


def without_password(url: str) -> tuple[str, bool]:
    """The URL with its password taken out (and a query holding a secret), and whether
    there was one."""
    from engine.secrets import mask_secrets

    parts = urlsplit(url)
    if mask_secrets(parts.query) != parts.query:
        parts = parts._replace(query="")
        url = urlunsplit(parts)
        if parts.password is None:
            return url, True
    if parts.password is None and not (parts.username and "@" in parts.netloc):
        return url, False
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = parts.username if parts.password is not None else None
    netloc = f"{user}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc)), True
