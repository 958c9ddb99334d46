"""`polictl import MODULE:APP`: the click command parses options and hands them to
`execute()`, which returns the exit code: 0 everything carried (or `--check` clean), 1
something left behind (or `--check` found differences), 2 bad input."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import click

from engine.diagnostics import UserError
from polictl.files import write_tree
from polictl.importer.deployment import deployment_notes
from polictl.importer.emit import emit
from polictl.importer.model import Translation
from polictl.importer.report import report_check, report_import
from polictl.importer.run import BAD_INPUT, check_time, read_app, validate_files
from polictl.importer.translate import translate
from polictl.importer.workers import read_worker_specs

SPEC = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")
FILES = ("queues.yaml", "tasks.yaml", "schedules.yaml")


def _translation(
    spec: str, project: Path, workers: tuple[Path, ...], now: str
) -> tuple[dict, Translation]:
    if not SPEC.match(spec):
        raise UserError(f"{spec!r} is not MODULE or MODULE:APP", exit_code=BAD_INPUT)
    specs = [s for path in workers for s in read_worker_specs(path)]
    snapshot = read_app(spec, project, now)
    translation = translate(snapshot, spec, specs)
    translation.notes += [note for path in workers for note in deployment_notes(path)]
    if not translation.files["tasks"].get("tasks"):
        raise UserError(
            f"{spec}: no task could be carried ({len(snapshot['tasks'])} registered)",
            hint="check that the app's task modules are imported (autodiscover_tasks, include)",
            exit_code=BAD_INPUT,
        )
    return snapshot, translation


def _validate(texts: dict[str, str], project: Path) -> None:
    """The files must pass `polictl validate` before anything is written."""
    with tempfile.TemporaryDirectory(prefix="poli-import-") as tmp:
        write_tree(Path(tmp), texts)
        problems = validate_files(Path(tmp), project)
    if problems is not None:
        raise UserError(
            f"the files import would write do not validate (nothing written):\n{problems}",
            hint="this is a bug of `polictl import`, or a handler that does not import",
        )


def check_files(spec: str, snapshot: dict, translation: Translation, out_dir: Path,
                project: Path, now: str, fmt: str) -> int:  # fmt: skip
    """`--check`: the original app against poli's app from the files in `out_dir`."""
    from polictl.importer.check import compare, poli_snapshot

    missing = [f for f in FILES if not (out_dir / f).is_file()]
    if missing:
        raise UserError(f"{out_dir}: no {', '.join(missing)} to check; run `polictl import {spec}` first",
                        exit_code=BAD_INPUT)  # fmt: skip
    problems = validate_files(out_dir, project)
    if problems is not None:
        raise UserError(f"{out_dir}: the files do not validate:\n{problems}")
    poli = poli_snapshot(project, out_dir, now, snapshot)
    differences = compare(snapshot, poli, translation.schedule_names)
    click.echo(report_check(differences, fmt))
    return 1 if differences else 0


def write_files(spec: str, translation: Translation, out_dir: Path, project: Path, fmt: str,
                force: bool) -> int:  # fmt: skip
    """The three files, validated first, each written atomically; never over existing ones
    without `force`."""
    existing = [f for f in FILES if (out_dir / f).exists()]
    if existing and not force:
        raise UserError(f"{out_dir}: {', '.join(existing)} already there; nothing written",
                        hint="use --force to replace them", exit_code=BAD_INPUT)  # fmt: skip
    texts = emit(translation, spec)
    _validate(texts, project)
    written = write_tree(out_dir, texts)
    click.echo(report_import(translation, written, fmt))
    return 1 if translation.left else 0


def execute(spec: str, out_dir: Path, project: Path, fmt: str, force: bool, check: bool,
            workers: tuple[Path, ...]) -> int:  # fmt: skip
    now = check_time()
    snapshot, translation = _translation(spec, project, workers, now)
    if check:
        return check_files(spec, snapshot, translation, out_dir, project, now, fmt)
    return write_files(spec, translation, out_dir, project, fmt, force)


@click.command("import")
@click.argument("spec", metavar="MODULE:APP")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the three files (default: the config dir, -C).")  # fmt: skip
@click.option("--project", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The project's root, as `celery -A` runs in it.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--force", is_flag=True, help="Replace queues.yaml, tasks.yaml, schedules.yaml.")
@click.option("--check", is_flag=True,
              help="Compare the app with poli's app built from the files; write nothing.")  # fmt: skip
@click.option("--workers", "workers", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A manager script, Procfile, supervisor config or unit file: its -Q lists become worker groups.")  # fmt: skip
@click.pass_obj
def import_app(obj, spec: str, out_dir: Path | None, project: Path, fmt: str, force: bool,
               check: bool, workers: tuple[Path, ...]) -> int:  # fmt: skip
    """Write queues.yaml, tasks.yaml, schedules.yaml from an existing Celery app."""
    return execute(spec, out_dir or obj.config_dir, project.resolve(), fmt, force, check, workers)
