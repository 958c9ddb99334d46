"""`make run`: validate, prepare the demo database, run the whole stack in the foreground.

    python -m engine.stack.demo [-C CONFIG_DIR] [--no-db] [--no-flower]

Each step is the polictl command a user would type; the last one (`polictl up --flower`)
replaces this process, so Ctrl-C reaches supervisord and stops everything gracefully.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from engine.stack.layout import Layout


def polictl(config_dir: Path) -> list[str]:
    return [sys.executable, "-m", "engine.cli", "-C", str(config_dir)]


def shown(command: list[str]) -> str:
    return "$ polictl " + " ".join(command[3:])


def steps(config_dir: Path, with_db: bool) -> list[list[str]]:
    """The commands run before the stack starts, in order."""
    base = polictl(config_dir)
    found = [[*base, "validate"]]
    if with_db and importlib.util.find_spec("engine.cli_db") is not None:
        found += [[*base, "db", "init"], [*base, "db", "demo"]]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.stack.demo", description=__doc__)
    parser.add_argument("-C", "--config-dir", type=Path, default=Path(".").resolve())
    parser.add_argument("--no-db", action="store_true", help="Skip `polictl db init/demo`.")
    parser.add_argument("--no-flower", action="store_true", help="Do not start Flower.")
    args = parser.parse_args(argv)
    config_dir = args.config_dir.resolve()
    # The database steps write where the workers will read: the stack's data dir.
    os.environ.update(Layout.of(config_dir).environment())
    for command in steps(config_dir, with_db=not args.no_db):
        print(shown(command), flush=True)
        code = subprocess.call(command)
        if code != 0:
            return code
    up = [*polictl(config_dir), "up", *([] if args.no_flower else ["--flower"])]
    print(shown(up), flush=True)
    os.execv(sys.executable, up)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
