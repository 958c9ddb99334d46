"""Bad input to `polictl import`: one clear message, exit 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import PROJECTS, polictl

SHOP = PROJECTS / "shop"


def project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "proj.py").write_text(source)
    return tmp_path


def refused(project_dir: Path, *args: str) -> str:
    out = project_dir / "out"
    done = polictl(project_dir, "import", "-o", str(out), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()  # nothing written
    return done.stderr.strip()


def test_a_module_that_does_not_import(tmp_path: Path):
    message = refused(
        project(tmp_path, "import celery\nraise RuntimeError('no settings')\n"), "proj:app"
    )
    assert message == (
        f"error: cannot import 'proj': RuntimeError: no settings (at {tmp_path}/proj.py:2)"
    )


def test_a_module_that_is_not_there(tmp_path: Path):
    message = refused(tmp_path, "nosuchproject:app")
    assert message.startswith("error: cannot import 'nosuchproject': ModuleNotFoundError: ")


def test_an_attribute_that_is_not_a_celery_app(tmp_path: Path):
    message = refused(project(tmp_path, "app = {'broker_url': 'redis://'}\n"), "proj:app")
    assert message == "error: 'proj:app' is a dict, not a Celery app"


def test_a_module_with_no_app(tmp_path: Path):
    message = refused(project(tmp_path, "x = 1\n"), "proj")
    assert message.startswith("error: 'proj' names no Celery app: ")


@pytest.mark.parametrize("spec", ["proj:app:x", "-rf", "proj app"])
def test_a_spec_that_is_not_module_app(tmp_path: Path, spec: str):
    assert refused(tmp_path, "--", spec) == f"error: {spec!r} is not MODULE or MODULE:APP"


def test_an_app_with_no_task(tmp_path: Path):
    message = refused(
        project(tmp_path, "from celery import Celery\napp = Celery('p')\n"), "proj:app"
    )
    assert message.splitlines() == [
        "error: proj:app: no task could be carried (0 registered)",
        "  hint: check that the app's task modules are imported (autodiscover_tasks, include)",
    ]


def test_existing_files_are_kept_without_force(tmp_path: Path):
    (tmp_path / "tasks.yaml").write_text("mine\n")
    done = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {tmp_path}: tasks.yaml already there; nothing written",
        "  hint: use --force to replace them",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.yaml"]
    assert (tmp_path / "tasks.yaml").read_text() == "mine\n"
    forced = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "tasks.yaml").read_text().startswith("# tasks.yaml: imported from")


def test_check_without_files(tmp_path: Path):
    done = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path), "--check")
    assert done.returncode == 2
    assert done.stderr.strip().startswith(
        f"error: {tmp_path}: no queues.yaml, tasks.yaml, schedules.yaml to check"
    )


def test_check_of_files_that_do_not_validate(tmp_path: Path):
    assert polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path)).returncode == 0
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(tasks.read_text().replace('"shop.jobs:ping"', '"shop.jobs:pong"'))
    done = polictl(SHOP, "import", "shop.app:app", "-o", str(tmp_path), "--check")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"error: {tmp_path}: the files do not validate:"
    assert "module 'shop.jobs' has no attribute 'pong'" in done.stderr
    assert "Traceback" not in done.stderr


def test_what_the_project_prints_while_loading_does_not_spoil_the_import(tmp_path: Path):
    project(tmp_path, "print('loading settings...')\nfrom celery import Celery\n"
                      "app = Celery('p')\n@app.task(name='p.work', shared=False)\n"
                      "def work() -> None:\n    print('never at import')\n")  # fmt: skip
    done = polictl(tmp_path, "import", "proj:app", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "loading settings..." not in done.stdout  # the reader keeps it off the snapshot
    assert done.stdout.splitlines()[0] == f"wrote {tmp_path}/out/queues.yaml"
