"""`polictl db init` and `polictl db demo` as a new user runs them."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from polictl.main import cli


def test_db_init_then_demo_fills_the_database_under_the_config_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("POLI_DATA_DIR", raising=False)
    monkeypatch.delenv("POLI_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(tmp_path), "db", "init"]).exit_code == 0
    result = runner.invoke(cli, ["-C", str(tmp_path), "db", "demo", "--today", "2026-03-01"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'poli.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from pollinations")).scalar_one() == 30
    engine.dispose()


def test_db_demo_with_a_bad_date_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("POLI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["db", "demo", "--today", "someday"])
    assert result.exit_code == 1
    assert result.output.startswith("error: today must be an ISO date")
    assert "Traceback" not in result.output
