"""Diagnostics are values: collected, sorted, printed; never raised."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from engine.secrets import mask_secrets

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    hint: str | None = None

    def format(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return mask_secrets(text)


class UserError(Exception):
    """A mistake of the user's, raised below the command line and caught once where the
    process starts (polictl's main, engine.app): shown by `format()`, never as a traceback.

    An invalid config carries its diagnostics, which are then what the user sees."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        exit_code: int = 1,
        diagnostics: Sequence[Diagnostic] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
        self.diagnostics = list(diagnostics)

    def format(self) -> str:
        if self.diagnostics:
            return format_text(self.diagnostics)
        text = f"error: {self.message}"
        return mask_secrets(f"{text}\n  hint: {self.hint}" if self.hint else text)


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """`did you mean 'x'?` for the choice closest to a misspelt `name`, if one is close."""
    import difflib  # only where a name is wrong: every app start imports this module

    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


def summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return "config is valid"
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def format_text(diagnostics: list[Diagnostic]) -> str:
    lines = [d.format() for d in sorted(diagnostics)]
    lines.append(summary(diagnostics))
    return "\n".join(lines)


def format_json(diagnostics: list[Diagnostic]) -> str:
    return mask_secrets(json.dumps([asdict(d) for d in sorted(diagnostics)], indent=2))


REPORTERS = {"text": format_text, "json": format_json}
