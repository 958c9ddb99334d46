"""Find, read, overlay, validate and build: the one entry point to a platform."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import celery_env, kubernetes_target, schema, semantic, transport
from engine.config.environment import config_dir_from_env, environment_from_env
from engine.config.loader import Document, Pos, error, gc_paused, read_file
from engine.config.model_builder import build
from engine.config.overlay import overlay
from engine.diagnostics import Diagnostic, has_errors
from engine.imports import ensure_on_path
from engine.model import Platform

KINDS = ("queues", "tasks", "schedules")
__all__ = ["LoadResult", "config_dir_from_env", "environment_from_env", "load"]
# Render formats with needs of their own, checked when a command names the format
# (`render FORMAT`, `validate --for FORMAT`), so the renderer takes them as given.
TARGET_CHECKS = {"kubernetes": kubernetes_target.check}


@dataclass
class LoadResult:
    platform: Platform | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: dict[str, Document] = field(default_factory=dict)  # after overlays

    @property
    def ok(self) -> bool:
        return self.platform is not None


def _read(config_dir: Path, kind: str, environment: str | None, env: Mapping[str, str]):
    """One file with its overlay applied; (Document | None, diagnostics, overlay found)."""
    doc, diags = read_file(config_dir / f"{kind}.yaml", f"{kind}.yaml", env)
    if not (config_dir / f"{kind}.yaml").exists():
        diags = [
            error(
                Pos(f"{kind}.yaml", 1, 1), "missing-file", f"{kind}.yaml not found in {config_dir}"
            )
        ]
    found = False
    if environment:
        name = f"{kind}.{environment}.yaml"
        if (config_dir / name).exists():
            found = True
            top, more = read_file(config_dir / name, name, env)
            diags += more
            doc = overlay(doc, top) if doc and top else None
    return doc, diags, found


def load(
    config_dir: Path,
    environment: str | None = None,
    env: Mapping[str, str] | None = None,
    target: str | None = None,
) -> LoadResult:
    """Every problem in the config in one pass (with what rendering `target` needs, when
    given); the platform when there is none."""
    with gc_paused():  # a large config is ~10 objects per line, none of them garbage
        return _load(config_dir, environment, env, target)


def _load(
    config_dir: Path, environment: str | None, env: Mapping[str, str] | None, target: str | None
) -> LoadResult:
    env = os.environ if env is None else env
    if environment and (problem := schema.name_problem(environment)):
        # It names overlay files and reaches every generated file: refused before either.
        where = Pos("queues.yaml", 1, 1)
        return LoadResult(None, [error(where, "bad-environment", f"environment: {problem}")])
    docs: dict[str, Document] = {}
    diagnostics: list[Diagnostic] = []
    overlays = 0
    for kind in KINDS:
        doc, diags, found = _read(config_dir, kind, environment, env)
        diagnostics += diags
        overlays += found
        if doc is not None:
            docs[kind] = doc
            diagnostics += schema.validate(kind, doc)
    if environment and not overlays:
        names = ", ".join(f"{k}.{environment}.yaml" for k in KINDS)
        diagnostics.append(
            error(
                Pos("queues.yaml", 1, 1),
                "missing-overlay",
                f"environment {environment!r} has no overlay file",
                f"write at least one of: {names}",
            )
        )
    if len(docs) == len(KINDS):
        ensure_on_path(config_dir)
        diagnostics += semantic.check(docs)
        if target in TARGET_CHECKS:
            diagnostics += TARGET_CHECKS[target](docs["queues"], config_dir, environment)
    diagnostics += celery_env.diagnostics(docs.get("queues"), env)
    if has_errors(diagnostics) or len(docs) != len(KINDS):
        return LoadResult(None, sorted(set(diagnostics)), docs)
    platform = build(docs, config_dir, environment)
    diagnostics += transport.visibility_timeout(platform, docs["queues"])
    return LoadResult(platform, sorted(set(diagnostics)), docs)
