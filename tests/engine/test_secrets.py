"""URL credentials are masked in every place poli reports a value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from celery_process import celery_env

from engine.secrets import mask_secrets

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
