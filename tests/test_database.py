"""The schema: Alembic migrations match the models, and init is idempotent."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models.all_tables  # noqa: F401
from models.db import migrate


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_init_is_idempotent(cli):
    first = cli("init")
    second = cli("init")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "Database ready" in second.stdout


def test_migrate_twice_keeps_data(engine, session, province):
    migrate(engine)
    from models.agencies import list_agencies

    assert len(list_agencies(session=session)) == 6


def test_commands_refuse_an_uninitialised_database(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "status", "2026"]
    )
    assert result.exit_code == 1
    assert "chưa được khởi tạo; hãy chạy `isocycle init`" in result.stderr


def test_sqlite_runs_in_wal_mode(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL is a SQLite setting")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
