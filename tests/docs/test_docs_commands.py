"""Every shell example in README.md and docs/ is marked, and the runnable ones run.

The convention (CONTRIBUTING.md, "Examples that run"): the line above a `sh`/`console`
fence is `<!-- docs-test: run -->` or `<!-- docs-test: skip: REASON -->`. Each page runs in
a fresh directory holding a copy of the repository's three YAML files; its blocks run in
order there. A `sh` block must exit 0; a `console` block is a transcript whose output is
compared (`...` = any lines; `$ echo $?` = the exit code of the command before).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
CONFIG_FILES = ("queues.yaml", "tasks.yaml", "schedules.yaml")
SHELLS = ("sh", "bash", "shell", "console")
MARKER = re.compile(r"^<!-- docs-test: (run|skip: (?P<reason>\S.*\S)) -->$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
RC = "__DOCS_TEST_RC__"


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    marker: str | None  # "run", "skip: reason" or None
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    lines = page.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        above = lines[i - 1].strip() if i else ""
        marker = MARKER.match(above)
        text = "\n".join(lines[i + 1 : end]) + "\n"
        out.append(Block(page, i + 1, match["lang"], marker and marker[1], text))
        i = end + 1
    return out


def shell_blocks(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.lang in SHELLS]


def test_every_shell_block_is_marked_run_or_skip_with_a_reason():
    unmarked = [b.where for page in PAGES for b in shell_blocks(page) if b.marker is None]
    assert unmarked == [], "mark each: <!-- docs-test: run --> or <!-- docs-test: skip: WHY -->"


def test_the_convention_finds_runnable_blocks_on_the_pages_that_show_commands():
    runnable = {b.page.name for page in PAGES for b in shell_blocks(page) if b.marker == "run"}
    assert {"README.md", "tutorial.md", "cli.md", "tasks.md", "deploying.md"} <= runnable


# --- running ---------------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    for name in CONFIG_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLI_", "CELERY_", "PYTHON"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["POLI_DATA_DIR"] = str(tmp_path / "var")
    env["COLUMNS"] = "200"
    return tmp_path, env


def run_sh(block: Block, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["bash", "-e", "-c", block.text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{block.where}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    )


@dataclass
class Step:
    command: str
    expected: list[str]
    rc: int = 0


def transcript(block: Block) -> list[Step]:
    steps: list[Step] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            steps.append(Step(line[2:], []))
        else:
            assert steps, f"{block.where}: output before the first `$ ` command"
            steps[-1].expected.append(line.rstrip())
    merged: list[Step] = []
    for step in steps:  # `$ echo $?` + its line: the exit code the command before returns
        if step.command == "echo $?":
            assert merged and len(step.expected) == 1, f"{block.where}: `echo $?` needs a code"
            merged[-1].rc = int(step.expected[0])
        else:
            merged.append(step)
    return merged


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a `...` line stands for any number of lines."""
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in expected
    )
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual)) is not None


def run_console(block: Block, cwd: Path, env: dict[str, str]) -> None:
    steps = transcript(block)
    # one bash per block (so `export` carries to the next command), stderr with stdout
    script = "exec 2>&1\n" + "".join(f"{s.command}\nprintf '\\n{RC}%d\\n' $?\n" for s in steps)
    done = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    parts = re.split(rf"\n{RC}(\d+)\n", done.stdout)
    assert len(parts) == 2 * len(steps) + 1, f"{block.where}: the transcript stopped\n{done.stdout}"
    for n, step in enumerate(steps):
        actual = [line.rstrip() for line in parts[2 * n].split("\n")]
        while actual and actual[-1] == "":
            actual.pop()
        got = int(parts[2 * n + 1])
        shown = "\n".join(actual)
        assert got == step.rc, (
            f"{block.where}: `{step.command}` exited {got}, not {step.rc}\n{shown}"
        )
        assert matches(step.expected, actual), (
            f"{block.where}: `{step.command}` printed\n{shown}\n--- the page shows ---\n"
            + "\n".join(step.expected)
        )


def runnable_pages() -> list[Path]:
    return [p for p in PAGES if any(b.marker == "run" for b in shell_blocks(p))]


@pytest.mark.parametrize("page", runnable_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_runnable_examples_of_each_page_run(page: Path, sandbox):
    cwd, env = sandbox
    for block in shell_blocks(page):
        if block.marker != "run":
            continue
        if block.lang == "console":
            run_console(block, cwd, env)
        else:
            run_sh(block, cwd, env)


# --- the runner itself can fail -----------------------------------------------------------


def test_a_transcript_whose_output_or_exit_code_differs_fails(sandbox, tmp_path):
    cwd, env = sandbox
    page = tmp_path / "page.md"
    wrong_output = (
        "<!-- docs-test: run -->\n```console\n$ polictl validate\nConfig is broken\n```\n"
    )
    wrong_code = "<!-- docs-test: run -->\n```console\n$ polictl validate\n...\n$ echo $?\n1\n```\n"
    for text in (wrong_output, wrong_code):
        page.write_text(text)
        (block,) = blocks(page)
        with pytest.raises(AssertionError):
            run_console(Block(ROOT / "README.md", 1, "console", "run", block.text), cwd, env)
    page.write_text("<!-- docs-test: run -->\n```sh\npolictl validate --no-such-option\n```\n")
    (block,) = blocks(page)
    with pytest.raises(AssertionError):
        run_sh(Block(ROOT / "README.md", 1, "sh", "run", block.text), cwd, env)


def test_ellipsis_stands_for_any_lines():
    assert matches(["a", "...", "z"], ["a", "b", "c", "z"])
    assert matches(["a", "...", "z"], ["a", "z"])
    assert not matches(["a", "...", "z"], ["a", "b"])
    assert not matches(["a"], ["a", "b"])


# --- names and links --------------------------------------------------------------------


def test_every_engine_module_the_docs_name_imports():
    names = {
        name.rstrip(".")
        for page in PAGES
        for name in re.findall(r"\b(engine(?:\.[a-z_]+)+)", page.read_text())
    }
    missing = []
    for name in sorted(names):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            missing.append(name)
    assert missing == [], "pages name modules the code does not have"


def test_the_readme_links_to_files_that_exist_and_stays_small():
    readme = ROOT / "README.md"
    assert len(readme.read_bytes()) <= 8 * 1024
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme.read_text())
    assert targets
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_every_repository_file_the_docs_name_exists():
    pattern = r"\b((?:tests|bench|engine|generators|polictl|handlers)/[\w./-]+\.(?:py|md|json|txt))"
    named = {name for page in PAGES for name in re.findall(pattern, page.read_text())}
    assert named
    assert sorted(n for n in named if not (ROOT / n).exists() and "<" not in n) == []
