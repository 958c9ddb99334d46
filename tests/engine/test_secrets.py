"""URL credentials are masked in every place poli reports a value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from celery_process import celery_env

from engine.secrets import mask_data, mask_secrets

PASSWORD = "S3cretPW"
CASES = [
    ("redis://:S3cretPW@host:6379/0", "redis://:***@host:6379/0"),
    ("redis//:S3cretPW@host:6379/0", "redis//:***@host:6379/0"),
    ("redis:/:S3cretPW@host", "redis:/:***@host"),
    ("amqp://poli:S3cretPW@rabbit:5672//", "amqp://poli:***@rabbit:5672//"),
    ("redis://S3cretPW@host/0", "redis://***@host/0"),
    ("poli:S3cretPW@host", "poli:***@host"),
    ("'sentinel://:S3cretPW@[::1]:26379'", "'sentinel://:***@[::1]:26379'"),
    (
        "rediss://h:6380/0?ssl_cert_reqs=none&password=S3cretPW",
        "rediss://h:6380/0?ssl_cert_reqs=none&password=***",
    ),
    ("redis://host:6379/0", "redis://host:6379/0"),
    ("redis+socket:///var/lib/poli/redis.sock", "redis+socket:///var/lib/poli/redis.sock"),
    ("12:30 at noon; a@b", "12:30 at noon; a@b"),
    # a `:` or `@` inside the password: all of it masked, not half
    ("redis://:pa:S3cretPW@host/0", "redis://:***@host/0"),
    ("redis://poli:p@S3cretPW@host/0", "redis://poli:***@host/0"),
    # query parameters of every secret-like name
    ("redis://host/0?token=S3cretPW&db=1", "redis://host/0?token=***&db=1"),
    ("amqp://h//?api_key=S3cretPW", "amqp://h//?api_key=***"),
    (
        "redis://h/0?ssl_keyfile=/k.pem&auth_token=S3cretPW",
        "redis://h/0?ssl_keyfile=/k.pem&auth_token=***",
    ),
    # key names in JSON, Python reprs, YAML and k=v text
    ('{"password": "S3cretPW", "n": 1}', '{"password": "***", "n": 1}'),
    ("{'api_key': 'S3cretPW', 'n': 1}", "{'api_key': '***', 'n': 1}"),
    ("password: S3cretPW\nuser: bob", "password: ***\nuser: bob"),
    ("redis_password=S3cretPW other", "redis_password=*** other"),
    # Authorization values
    ("Authorization: Bearer S3cretPW", "Authorization: Bearer ***"),
    ("headers={'Authorization': 'Basic S3cretPW'}", "headers={'Authorization': '***'}"),
    # what is not a secret stays
    ("max_tokens: 5, passes: 2", "max_tokens: 5, passes: 2"),
    (
        "mail bob@example.com or see https://example.com/a@b",
        "mail bob@example.com or see https://example.com/a@b",
    ),
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_passwords_in_urls_are_masked(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown


BAD = Path(__file__).resolve().parent.parent / "configs" / "secrets"
SECRET_URL = f"://:{PASSWORD}@broker.example:6379/0"


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = celery_env(BAD, "unused", SECRET_URL=SECRET_URL, **env)
    del environment["POLI_BROKER_URL"]
    return subprocess.run(
        args, cwd=BAD, env=environment, capture_output=True, text=True, timeout=60
    )


def polictl(*args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "polictl", *args])


def test_every_report_of_a_misplaced_url_masks_its_password(tmp_path) -> None:
    """A URL interpolated under many keys: each bad placement is reported, never its password."""
    expected = (BAD / "expected.txt").read_text()
    outputs = {
        "validate": polictl("validate"),
        "validate json": polictl("validate", "--format", "json"),
        "render": polictl("render", "systemd", "-o", str(tmp_path / "out")),
        "worker": run([sys.executable, "-m", "celery", "-A", "engine.app", "worker"]),
        "beat": run([sys.executable, "-m", "celery", "-A", "engine.app", "beat"]),
    }
    for name, out in outputs.items():
        assert out.returncode != 0, name
        text = out.stdout + out.stderr
        assert PASSWORD not in text, name
        assert "Traceback" not in text, name
    assert outputs["validate"].stdout == expected
    assert outputs["render"].stderr == expected
    assert outputs["worker"].stderr == expected
    assert outputs["validate json"].stdout.count(":***@broker.example") == expected.count("***")
    assert not (tmp_path / "out").exists()


SECRET_FORMS = [
    "redis://S3cretPW@broker.example:6379/0",  # user-only: Redis takes it as the password
    "redis://poli:S3cretPW@broker.example:6379/0",
    "redis://:pa:S3cretPW@broker.example:6379/0",  # a `:` inside the password
    "redis://broker.example:6379/0?password=S3cretPW",
    "rediss://broker.example:6380/0?ssl_cert_reqs=none&token=S3cretPW",
]


@pytest.mark.parametrize("url", SECRET_FORMS)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_polictl_config_masks_every_form_of_broker_password(url: str, fmt: str) -> None:
    """`polictl config` goes through the one masking rule, like every other output."""
    minimal = Path(__file__).resolve().parent.parent / "configs" / "minimal"
    environment = celery_env(minimal, url)
    out = subprocess.run(
        [sys.executable, "-m", "polictl", "-C", str(minimal), "config", "--format", fmt],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "broker.example" in out.stdout
    assert PASSWORD not in out.stdout + out.stderr


def test_structured_values_are_masked_by_key_name() -> None:
    letter = {
        "args": ["redis://:S3cretPW@h/0", {"password": "S3cretPW"}],
        "kwargs": {"api_key": "S3cretPW", "headers": {"Authorization": "Bearer S3cretPW"}, "n": 3},
    }
    assert mask_data(letter) == {
        "args": ["redis://:***@h/0", {"password": "***"}],
        "kwargs": {"api_key": "***", "headers": {"Authorization": "***"}, "n": 3},
    }
