"""Session fixtures: real processes, free ports, temporary directories, always cleaned up."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import skip_policy  # noqa: E402
from redis_server import RedisServer  # noqa: E402

_db_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(
        "POLI_UPDATE_GOLDEN"
    ):  # a test that writes its golden compares it with itself
        raise pytest.UsageError(
            "POLI_UPDATE_GOLDEN is set: the tests never write golden files. "
            "Unset it; `make golden` regenerates them and prints the diff to review"
        )
    skip_policy.register(config)  # POLI_STRICT_SKIPS=1: an unlisted skip fails the session


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutation` only: the property tests (hypothesis, tens of seconds each) run
    after the example tests, which kill most mutants in milliseconds (mutmut runs pytest -x)."""
    if "MUTANT_UNDER_TEST" in os.environ:
        items.sort(
            key=lambda item: getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        )


@pytest.fixture(autouse=True)
def _fresh_engine_caches() -> None:
    """Under `make mutation` only: mutmut forks each mutant from a process that ran the
    tests unmutated, so a memoised engine function (functools caches) would answer with
    the unmutated result and hide the mutant. Every such cache starts empty instead."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    for name, module in list(sys.modules.items()):
        if name == "engine" or name.startswith("engine."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A redis-server of this test session's own (never the machine's 6379)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A fresh logical database on the session's server for each test (1..15, reused)."""
    import redis

    number = next(_db_numbers) % 15 + 1
    client = redis.Redis.from_url(f"{redis_server.url}/{number}")
    client.flushdb()  # our own server, started by this session
    client.close()
    return f"{redis_server.url}/{number}"
