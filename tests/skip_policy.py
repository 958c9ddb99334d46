"""Nothing skipped without saying so: with POLI_STRICT_SKIPS=1 (`.ci/run` sets it), a
skipped test fails the session unless an entry of tests/skips_allowed.txt matches its
test id or its reason. Each entry is `PATTERN  # why` (a glob); an entry without a why
is refused."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ALLOWED = Path(__file__).with_name("skips_allowed.txt")
STRICT_ENV = "POLI_STRICT_SKIPS"


@dataclass(frozen=True)
class Entry:
    pattern: str
    why: str


def read_allowed(path: Path) -> list[Entry]:
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, _, why = line.partition("  # ")
        if not why.strip():
            raise pytest.UsageError(f"{path}:{number}: an allowed skip says why: `PATTERN  # why`")
        entries.append(Entry(pattern.strip(), why.strip()))
    return entries


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@dataclass(eq=False)  # a pytest plugin object: hashable, by identity
class SkipPolicy:
    entries: list[Entry]
    unlisted: list[tuple[str, str]] = field(default_factory=list)

    def allows(self, nodeid: str, reason: str) -> bool:
        return any(fnmatchcase(nodeid, e.pattern) or fnmatchcase(reason, e.pattern) for e in self.entries)  # fmt: skip

    def _check(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = skip_reason(report)
            if not self.allows(report.nodeid, reason):
                self.unlisted.append((report.nodeid, reason))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._check(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._check(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.unlisted and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:  # noqa: ANN001 - pytest's
        if self.unlisted:
            terminalreporter.section(f"skipped, not on {ALLOWED.name} ({STRICT_ENV}=1)", red=True)
            for nodeid, reason in self.unlisted:
                terminalreporter.line(f"{nodeid}: {reason}")


def register(config: pytest.Config, allowed: Path = ALLOWED) -> None:
    """Turn the policy on for this session when POLI_STRICT_SKIPS=1."""
    if os.environ.get(STRICT_ENV) == "1":
        config.pluginmanager.register(SkipPolicy(read_allowed(allowed)), "poli-skip-policy")
