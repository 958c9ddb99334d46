"""Environment overlays: `queues.production.yaml` deep-merged over `queues.yaml`, every
node keeping the position of the file it came from."""

from __future__ import annotations

from typing import Any

from engine.config.read.loader import Document, Path_


def overlay(base: Document, top: Document) -> Document:
    """Deep-merge `top` over `base`: mappings merge, anything else is replaced."""
    data = _merge(base.data, top.data)
    merged = Document(base.file, data)
    merged.reported = base.reported | top.reported
    for path in _paths(data):
        for source in (top, base):
            if path in source.positions:
                merged.positions[path] = source.positions[path]
                if path in source.key_positions:
                    merged.key_positions[path] = source.key_positions[path]
                if path in source.variables:
                    merged.variables[path] = source.variables[path]
                break
    return merged


def _merge(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for key, value in top.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return top


def _paths(data: Any, path: Path_ = ()):
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*path, index))
