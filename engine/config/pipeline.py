"""Find, read, overlay, validate and build: the one entry point to a platform."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.config.build.model import build
from engine.config.check import celery_env, schema, semantic, transport
from engine.config.check import targets as kubernetes_target
from engine.config.read.environment import config_dir_from_env, environment_from_env
from engine.config.read.loader import Document, Pos, error, gc_paused, read_file
from engine.config.read.overlay import overlay
from engine.diagnostics import Diagnostic, has_errors
from engine.imports import ensure_on_path
from engine.model import Platform
from engine.model.files import CONFIG_KINDS, base_name, overlay_name

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


def _read(
    config_dir: Path,
    kind: str,
    environment: str | None,
    env: Mapping[str, str],
    sources: dict[str, str],
):
    """One file with its overlay applied; (Document | None, diagnostics, overlay found).
    Each file read is kept as written in `sources` (the model's `sources`)."""
    name = base_name(kind)
    doc, diags = read_file(config_dir / name, name, env)
    if not (config_dir / name).exists():
        diags = [error(Pos(name, 1, 1), "missing-file", f"{name} not found in {config_dir}")]
    if doc is not None:
        sources[name] = doc.text
    found = False
    if environment:
        name = overlay_name(kind, environment)
        if (config_dir / name).exists():
            found = True
            top, more = read_file(config_dir / name, name, env)
            diags += more
            if top is not None:
                sources[name] = top.text
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
    sources: dict[str, str] = {}
    for kind in CONFIG_KINDS:
        doc, diags, found = _read(config_dir, kind, environment, env, sources)
        diagnostics += diags
        overlays += found
        if doc is not None:
            docs[kind] = doc
            diagnostics += schema.validate(kind, doc)
    if environment and not overlays:
        names = ", ".join(overlay_name(k, environment) for k in CONFIG_KINDS)
        diagnostics.append(
            error(
                Pos("queues.yaml", 1, 1),
                "missing-overlay",
                f"environment {environment!r} has no overlay file",
                f"write at least one of: {names}",
            )
        )
    if len(docs) == len(CONFIG_KINDS):
        ensure_on_path(config_dir)
        diagnostics += semantic.check(docs)
        if target in TARGET_CHECKS:
            diagnostics += TARGET_CHECKS[target](docs["queues"], sources)
    diagnostics += celery_env.diagnostics(docs, env)
    if has_errors(diagnostics) or len(docs) != len(CONFIG_KINDS):
        return LoadResult(None, sorted(set(diagnostics)), docs)
    platform = build(docs, config_dir, environment, sources, celery_env.interpolated(docs))
    diagnostics += transport.visibility_timeout(platform, docs["queues"])
    diagnostics += transport.state_store(platform, docs["queues"])
    if has_errors(diagnostics):  # a model or diagnostics with an error, never both
        return LoadResult(None, sorted(set(diagnostics)), docs)
    return LoadResult(platform, sorted(set(diagnostics)), docs)
