"""`polictl up NAME...` starts only what it names: worker groups, `beat`, `flower` (the seed's
`celery_manager.sh start beat` / `start flower`); with no name, every group and beat."""

from __future__ import annotations

import pytest
from stack_helpers import ROOT, Stack

from engine.config import load
from engine.diagnostics import UserError
from polictl.stack.choice import Choice, choose


@pytest.fixture(scope="module")
def platform():
    return load(ROOT, env={"POLI_BROKER_URL": "redis://127.0.0.1:1/0"}).platform


GROUPS = ("default", "alerts", "reports", "system")


@pytest.mark.parametrize(
    ("names", "flower", "chosen"),
    [
        ((), False, Choice(GROUPS, beat=True, flower=False, console=True)),
        ((), True, Choice(GROUPS, beat=True, flower=True, console=True)),
        (("console",), False, Choice((), beat=False, flower=False, console=True)),
        (("beat",), False, Choice((), beat=True, flower=False)),
        (("flower",), False, Choice((), beat=False, flower=True)),
        (("system", "default"), False, Choice(("default", "system"), beat=False, flower=False)),
        (("alerts", "beat"), True, Choice(("alerts",), beat=True, flower=True)),
    ],
)
def test_names_choose_the_programs(platform, names, flower, chosen) -> None:
    assert choose(platform, names, flower) == chosen


def test_an_unknown_name_is_refused_with_a_hint(platform) -> None:
    with pytest.raises(UserError) as refused:
        choose(platform, ("baet",), False)
    assert (refused.value.message, refused.value.hint) == (
        "unknown worker group or program 'baet'",
        "did you mean 'beat'?",
    )


def test_up_beat_and_up_flower_start_only_those(stack: Stack) -> None:
    started = stack.polictl("up", "--detach", "beat", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    assert "poli: beat; broker: embedded Redis" in started.stdout
    assert sorted(p.name for p in stack.supervisor().programs()) == ["beat", "redis"]
    assert stack.polictl("down", timeout=120).returncode == 0

    started = stack.polictl("up", "--detach", "flower", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    assert sorted(p.name for p in stack.supervisor().programs()) == ["flower", "redis"]


def test_up_console_runs_it_behind_the_operator_login(stack: Stack) -> None:
    from waiting import http_status as status
    from waiting import wait_for

    started = stack.polictl("up", "--detach", "console", "--timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    line = next(x for x in started.stdout.splitlines() if x.startswith("  console: "))
    url = line.split()[1]
    password_file = (stack.data_dir / "web-password").resolve()
    assert f"login admin, password in {password_file}" in started.stdout  # shared with Flower
    assert sorted(p.name for p in stack.supervisor().programs()) == ["console", "redis"]
    assert wait_for(lambda: status(url + "healthz") == 200, 60, interval=0.5)
    assert status(url + "schedules") == 401
    assert status(url + "schedules", ("admin", password_file.read_text().strip())) == 200
