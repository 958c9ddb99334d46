"""Diagnostics and the one user error, as text a user reads: whole strings compared, written
out by hand (not rebuilt with the code's own formatting)."""

from __future__ import annotations

import pytest

from engine.diagnostics import (
    REPORTERS,
    Diagnostic,
    UserError,
    did_you_mean,
    format_json,
    format_text,
    has_errors,
    summary,
)

TYPO = Diagnostic(
    "tasks.yaml", 3, 5, "error", "unknown-key", "unknown key 'retyr'", "did you mean 'retry'?"
)
LATE = Diagnostic("queues.yaml", 9, 1, "warning", "slow", "visibility timeout below a time limit")
EARLY = Diagnostic("queues.yaml", 2, 8, "error", "env", "environment variable X is not set")


def test_a_diagnostic_is_file_line_column_severity_message_then_its_hint() -> None:
    assert TYPO.format() == (
        "tasks.yaml:3:5: error: unknown key 'retyr'\n  hint: did you mean 'retry'?"
    )
    assert LATE.format() == "queues.yaml:9:1: warning: visibility timeout below a time limit"


def test_text_is_sorted_by_file_and_position_then_summed_up() -> None:
    assert format_text([TYPO, LATE, EARLY]) == (
        "queues.yaml:2:8: error: environment variable X is not set\n"
        "queues.yaml:9:1: warning: visibility timeout below a time limit\n"
        "tasks.yaml:3:5: error: unknown key 'retyr'\n"
        "  hint: did you mean 'retry'?\n"
        "2 errors, 1 warning"
    )
    assert REPORTERS["text"] is format_text and REPORTERS["json"] is format_json


@pytest.mark.parametrize(
    ("diagnostics", "text"),
    [
        ([], "config is valid"),
        ([EARLY], "1 error, 0 warnings"),
        ([LATE], "0 errors, 1 warning"),
        ([LATE, LATE], "0 errors, 2 warnings"),
        ([EARLY, TYPO, LATE], "2 errors, 1 warning"),
    ],
)
def test_summary(diagnostics: list[Diagnostic], text: str) -> None:
    assert summary(diagnostics) == text


def test_has_errors_only_for_an_error() -> None:
    assert (has_errors([]), has_errors([LATE]), has_errors([LATE, EARLY])) == (False, False, True)


def test_json_is_a_sorted_indented_list_of_every_field() -> None:
    assert format_json([LATE, EARLY]) == (
        "[\n"
        "  {\n"
        '    "file": "queues.yaml",\n'
        '    "line": 2,\n'
        '    "column": 8,\n'
        '    "severity": "error",\n'
        '    "code": "env",\n'
        '    "message": "environment variable X is not set",\n'
        '    "hint": null\n'
        "  },\n"
        "  {\n"
        '    "file": "queues.yaml",\n'
        '    "line": 9,\n'
        '    "column": 1,\n'
        '    "severity": "warning",\n'
        '    "code": "slow",\n'
        '    "message": "visibility timeout below a time limit",\n'
        '    "hint": null\n'
        "  }\n"
        "]"
    )


def test_did_you_mean_names_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("retyr", ["rate_limit", "retry", "retries"]) == "did you mean 'retry'?"
    assert did_you_mean("concurency", iter(["queues", "concurrency"])) == (
        "did you mean 'concurrency'?"
    )
    assert did_you_mean("zzz", ["retry", "queue"]) is None


def test_a_user_error_is_its_message_its_hint_and_exit_1_by_default() -> None:
    plain = UserError("no such task 'x'")
    assert (str(plain), plain.message, plain.hint, plain.exit_code, plain.diagnostics) == (
        "no such task 'x'",
        "no such task 'x'",
        None,
        1,
        [],
    )
    assert plain.format() == "error: no such task 'x'"
    hinted = UserError("cannot reach the broker", hint="polictl up", exit_code=3)
    assert (hinted.exit_code, hinted.format()) == (
        3,
        "error: cannot reach the broker\n  hint: polictl up",
    )


def test_a_user_error_of_an_invalid_config_shows_its_diagnostics() -> None:
    error = UserError("invalid config", hint="ignored", diagnostics=(TYPO, EARLY))
    assert error.diagnostics == [TYPO, EARLY]
    assert error.format() == format_text([EARLY, TYPO])
    assert error.format().endswith("\n2 errors, 0 warnings")
