"""A validated model kept between process starts, so a worker, beat or `celery inspect`
does not read, check and build the YAML again when nothing it depends on has changed.

The key is a hash of everything `load` reads: the YAML files and overlays (their bytes),
the values of the environment variables they interpolate, the environment name, the
config dir, PYTHONPATH, the Python version and poli's own loading code and schemas. The
handler and exception modules the checks imported are recorded with their size and
mtime; a hit whose modules changed is a miss. Only a config that validated with no
error is kept, and a miss runs the full `load`: nothing is checked less.

The file lives under the data dir (`$POLI_DATA_DIR`, else `<config dir>/var`) in
`cache/`, owner-only (it holds the broker URL, as the environment file does); one not
owned by this user or writable by others is ignored. Any problem with it is a miss.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.model import Platform
from engine.model.files import config_files

try:  # CPython's built-in SHA-256: `hashlib` loads OpenSSL first, ~2 ms of every start
    from _sha256 import sha256  # Python 3.11
except ImportError:  # pragma: no cover - 3.12 renamed it; other Pythons: hashlib's
    try:
        from _sha2 import sha256
    except ImportError:
        from hashlib import sha256

ENGINE = Path(__file__).resolve().parent.parent
CODE = (
    "config/**/*.py",
    "config/**/*.txt",
    "schemas/*.json",
    "model/*.py",
    "*.py",
)  # loading, checks
ENV_NAMES = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)")
FORMAT = b"poli-model-cache-1"
KEEP = 8  # cache entries kept per data dir


def cached_platform(
    config_dir: Path, environment: str | None, data_dir: Path, env: Mapping[str, str] | None = None
) -> tuple[Platform | None, list[Any], bool]:
    """(platform, diagnostics, hit): the cached platform while it is still right, else what
    a full `load` says (and the platform is kept for next time when it validated)."""
    env = os.environ if env is None else env
    path = data_dir / "cache" / f"model-{cache_key(config_dir, environment, env)}.pickle"
    platform = _read(path)
    if platform is not None:
        return platform, [], True
    from engine.config.pipeline import load  # YAML, schemas and checks: only on a miss

    result = load(config_dir, environment, env)
    if result.platform is not None:
        _write(path, result.platform)
    return result.platform, result.diagnostics, False


def cache_key(config_dir: Path, environment: str | None, env: Mapping[str, str]) -> str:
    digest = sha256(FORMAT)
    config_dir = config_dir.resolve()
    for part in (str(config_dir), environment or "", sys.version, env.get("PYTHONPATH", "")):
        digest.update(part.encode() + b"\0")
    for pattern in CODE:
        for file in sorted(ENGINE.glob(pattern)):
            info = file.stat()
            digest.update(f"{file.name}:{info.st_size}:{info.st_mtime_ns}\0".encode())
    names: set[bytes] = set()
    for path in config_files(config_dir, environment):
        text = _bytes(path)
        names.update(ENV_NAMES.findall(text))
        digest.update(sha256(text).digest())
    for name in sorted(names):
        value = env.get(name.decode())
        digest.update(name + b"=" + (b"\1" if value is None else value.encode() + b"\0"))
    return digest.hexdigest()[:32]


def _bytes(path: Path) -> bytes:
    try:
        return b"present\0" + path.read_bytes()
    except OSError:
        return b"absent\0"


def _modules(platform: Platform) -> list[tuple[str, int, int]]:
    """(file, size, mtime) of every module a handler or retried exception comes from."""
    names = {task.handler.partition(":")[0] for task in platform.tasks}
    for task in platform.tasks:
        policy = task.retry
        exceptions = (*policy.retry_on, *policy.dont_retry_on) if policy else ()
        names.update(n.partition(":")[0] for n in (*exceptions, *filter(None, [task.base])))
    files = []
    for name in sorted(names):
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            info = os.stat(file)
            files.append((file, info.st_size, info.st_mtime_ns))
    return files


def _unchanged(modules: list[tuple[str, int, int]]) -> bool:
    try:
        return all(
            (os.stat(f).st_size, os.stat(f).st_mtime_ns) == (size, mtime)
            for f, size, mtime in modules
        )
    except OSError:
        return False


def _read(path: Path) -> Platform | None:
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            modules, platform = pickle.load(handle)
    except Exception:  # missing, unreadable, truncated, from another version: a miss
        return None
    if not isinstance(platform, Platform) or not _unchanged(modules):
        return None
    return platform


def _write(path: Path, platform: Platform) -> None:
    """Atomically (a reader sees the old file or the new one), owner-only; best effort."""
    temp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        import tempfile  # a miss only

        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".model-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((_modules(platform), platform), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
        temp = None
        _prune(path.parent, keep=path)
    except OSError:  # a read-only data dir: every start validates, as without a cache
        return
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def _prune(directory: Path, keep: Path, most: int = KEEP) -> None:
    """Older entries (other environments, earlier edits) beyond the newest `most` go."""
    entries = sorted(directory.glob("model-*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    for old in [p for p in entries if p != keep][: max(0, len(entries) - most)]:
        old.unlink(missing_ok=True)
