"""`polictl render {systemd|supervisor|compose|kubernetes|prometheus} [-o OUT_DIR] [--check]
[--host NAME | --all-hosts]` (per host: systemd and supervisor)."""

from __future__ import annotations

import difflib
import fnmatch
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.diagnostics import UserError
from engine.model import Platform
from generators.compose import render_compose
from generators.formats import OWNED, RENDERERS
from polictl import render_hosts as hosts
from polictl.files import write_tree

if TYPE_CHECKING:
    from polictl.main import PoliContext


@click.command()
@click.argument(
    "fmt",
    metavar="{systemd|supervisor|compose|kubernetes|prometheus}",
    type=click.Choice(sorted(RENDERERS)),
)
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write (default: deploy/<format> under the config dir).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff if files differ.")
@click.option("--host", metavar="NAME", help="Only what runs on host NAME of `hosts:`.")
@click.option("--all-hosts", is_flag=True, help="Every host of `hosts:`, a folder each.")
@click.pass_obj
def render(
    obj: PoliContext, fmt: str, out_dir: Path | None, check: bool, host: str | None, all_hosts: bool
) -> int:
    """Render deployment files for FORMAT from the config (validates first)."""
    platform = obj.platform(target=fmt)  # invalid: its diagnostics, and nothing written
    if hosts.wants_hosts(fmt, platform, host, all_hosts):
        out = out_dir or hosts.default_out_dir(obj.config_dir, fmt, host)
        if host:
            return execute(fmt, hosts.host_files(fmt, platform, host), out, check)
        return execute(fmt, hosts.all_host_files(fmt, platform), out, check, per_host=True)
    out = out_dir if out_dir is not None else obj.config_dir / "deploy" / fmt
    return execute(fmt, render_files(fmt, platform, out, obj.config_dir), out, check)


def render_files(fmt: str, platform: Platform, out_dir: Path, config_dir: Path) -> dict[str, str]:
    if fmt == "compose":  # the build context is the project root, seen from out_dir
        root, out = Path(os.path.abspath(config_dir)), Path(os.path.abspath(out_dir))
        context = Path(os.path.relpath(root, out)).as_posix()
        dockerfile = Path(os.path.relpath(out / "Dockerfile", root)).as_posix()
        return render_compose(platform, build_context=context, dockerfile=dockerfile)
    return RENDERERS[fmt](platform)


def execute(
    fmt: str, files: dict[str, str], out_dir: Path, check: bool, per_host: bool = False
) -> int:
    """Write `files` under `out_dir` (or, with `check`, diff them); the exit code."""
    stale = sorted(set(owned_files(fmt, out_dir, per_host)) - set(files))
    if check:
        return _check(files, stale, out_dir)
    try:
        written = write_tree(out_dir, files)
    except OSError as exc:
        raise UserError(f"cannot write to {out_dir}: {exc.strerror} ({exc.filename})") from None
    for path in written:
        click.echo(f"wrote {path}")
    for rel in stale:
        (out_dir / rel).unlink()
        click.echo(f"removed stale {out_dir / rel}")
    return 0


def owned_files(fmt: str, out_dir: Path, per_host: bool = False) -> list[str]:
    """Files under `out_dir` that a `fmt` render owns (relative POSIX paths); `per_host`:
    those in its host folders (`HOST/...`), so a host removed from the YAML is stale too."""
    if not out_dir.is_dir():
        return []
    found = (p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    return sorted(rel for rel in found if _owned(fmt, rel, per_host))


def _owned(fmt: str, rel: str, per_host: bool) -> bool:
    if per_host:
        _, _, rel = rel.partition("/")
    return bool(rel) and any(fnmatch.fnmatch(rel, g) for g in OWNED[fmt])


def _check(files: dict[str, str], stale: list[str], out_dir: Path) -> int:
    differing = []
    for rel, text in sorted(files.items()):
        path = out_dir / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            differing.append(rel)
            click.echo(_diff(rel, current, text), nl=False)
    for rel in stale:
        differing.append(rel)
        click.echo(_diff(rel, (out_dir / rel).read_text(encoding="utf-8"), None), nl=False)
    if differing:
        click.echo(f"{len(differing)} file(s) in {out_dir} differ from the config", err=True)
        return 1
    click.echo(f"{out_dir} is up to date", err=True)
    return 0


def _diff(rel: str, old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        fromfile="/dev/null" if old is None else f"a/{rel}",
        tofile="/dev/null" if new is None else f"b/{rel}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
