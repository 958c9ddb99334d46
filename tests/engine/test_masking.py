"""The one masking rule in process, where mutation testing sees it: each entry point
(`mask_value`, `mask_data`, `mask_keys`, `polictl config` through click's runner) on a table
of forms. tests/engine/test_secrets.py runs the same forms through subprocesses (validate,
render, a worker, beat), which mutants do not reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.secrets import MASK, mask_data, mask_keys, mask_secrets, mask_value
from polictl.main import cli

PASSWORD = "S3cretPW"
MINIMAL = Path(__file__).resolve().parent.parent / "configs" / "minimal"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://S3cretPW@broker.example:6379/0", "redis://***@broker.example:6379/0"),
        ("redis://poli:S3cretPW@broker.example:6379/0", "redis://poli:***@broker.example:6379/0"),
        ("redis://:pa:S3cretPW@broker.example:6379/0", "redis://:***@broker.example:6379/0"),
        (
            "redis://broker.example:6379/0?password=S3cretPW",
            "redis://broker.example:6379/0?password=***",
        ),
        (
            "rediss://broker.example:6380/0?ssl_cert_reqs=none&token=S3cretPW",
            "rediss://broker.example:6380/0?ssl_cert_reqs=none&token=***",
        ),
    ],
)
def test_config_shows_the_broker_url_masked_in_text_and_json(url: str, shown: str) -> None:
    runner = CliRunner()
    text, data = (
        runner.invoke(
            cli, ["-C", str(MINIMAL), "config", "--format", fmt], env={"POLI_BROKER_URL": url}
        )
        for fmt in ("text", "json")
    )
    assert (text.exit_code, data.exit_code) == (0, 0), text.output + data.output
    line = next(line for line in text.stdout.splitlines() if line.startswith("broker.url = "))
    assert line.split("  # ")[0].rstrip() == f"broker.url = {shown}"
    settings = {setting["key"]: setting["value"] for setting in json.loads(data.stdout)}
    assert settings["broker.url"] == shown
    assert PASSWORD not in text.output + data.output


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        # a key ending in a secret's name: all of the value, whatever it is
        ("password", "x", MASK), ("PASSWD", "x", MASK), ("pwd", "x", MASK),
        ("redis_pass", "x", MASK), ("secret", "x", MASK), ("secretkey", "x", MASK),
        ("aws_secret_key", "x", MASK), ("auth_token", "x", MASK), ("apikey", "x", MASK),
        ("API_KEY", "x", MASK), ("access_key", "x", MASK), ("Authorization", "x", MASK),
        ("credential", "x", MASK), ("credentials", "x", MASK), ("private_key", "x", MASK),
        ("broker.password", 12345, MASK), ("password", 0, MASK), ("token", {"a": 1}, MASK),
        ("token", [1], MASK),
        # an empty secret shows that it is empty
        ("password", "", ""), ("password", None, None), ("password", {}, {}), ("password", [], []),
        # other keys: the value's own secrets only
        ("passes", "x", "x"), ("max_tokens", 5, 5), ("password.hint", "x", "x"),
        ("url", "redis://:S3cretPW@h/0", "redis://:***@h/0"),
        ("kwargs", {"token": "t", "n": 1, 2: "two"}, {"token": MASK, "n": 1, 2: "two"}),
        ("args", ("redis://u:S3cretPW@h", [None, True]), ("redis://u:***@h", [None, True])),
    ],
)  # fmt: skip
def test_a_value_is_masked_by_its_key_and_its_text(key, value, shown) -> None:
    assert mask_value(key, value) == shown
    assert type(mask_value(key, value)) is type(shown)
    assert mask_data({key: value}) == {key: shown}


def test_a_dead_letter_keeps_urls_and_masks_by_key_only() -> None:
    """mask_keys: what a dead letter stores, so that a replay sends what was sent."""
    letter = {
        "url": "redis://:S3cretPW@h/0",
        "password": "S3cretPW",
        "nested": [1, {"token": "S3cretPW", "note": "Bearer S3cretPW"}],
        "pair": ("a", {"api_key": "S3cretPW"}),
        "secret": None,
        "pwd": "",
        "credentials": {},
        "private_key": 0,
        7: "S3cretPW",
    }
    assert mask_keys(letter) == {
        "url": "redis://:S3cretPW@h/0",
        "password": MASK,
        "nested": [1, {"token": MASK, "note": "Bearer S3cretPW"}],
        "pair": ("a", {"api_key": MASK}),
        "secret": None,
        "pwd": "",
        "credentials": MASK,
        "private_key": MASK,
        7: "S3cretPW",
    }
    assert type(mask_keys(letter)["pair"]) is tuple
    assert mask_keys(["password", "S3cretPW"]) == ["password", "S3cretPW"]  # no key, no mask
    assert mask_keys("token=S3cretPW") == "token=S3cretPW"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # a quoted key with an unquoted value (YAML flow style, a Python repr of a number)
        ('{"password": 12345, "n": 1}', '{"password": ***, "n": 1}'),
        ("{'token': Xy9-z}", "{'token': ***}"),
        # a line holding every word of the shortcut is still read by each rule
        (
            "api_key=S3cretPW (pass, pwd, secret, token, auth, credential, bearer, basic)",
            "api_key=*** (pass, pwd, secret, token, auth, credential, bearer, basic)",
        ),
        # an empty userinfo hides nothing
        ("redis://@broker.example:6379/0", "redis://@broker.example:6379/0"),
        ('{"api_key": "X\\"y"}', '{"api_key": "***"}'),  # an escaped quote inside
    ],
)
def test_more_forms_of_the_rule(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown
