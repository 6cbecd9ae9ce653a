"""The demo leaves a real database alone, and every command says what is wrong with a database
of another schema (newer, older, or tables without a version stamp) and what to do."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cli.main import app
from models.db import HEAD

ISOCYCLE = Path(sys.executable).with_name("isocycle")


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table isocycle knows, in a stable order, plus the schema stamp."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for table in SQLModel.metadata.sorted_tables:
            if table.name in names:
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted((tuple(map(str, r)) for r in rows), key=str)
        out["alembic_version"] = [
            tuple(r) for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        ]
    return out


def test_the_demo_refuses_a_live_database_and_writes_nothing(cli, engine, province):
    before = _snapshot(engine)
    result = cli("demo", "--today", "2026-11-24")
    assert result.exit_code == 1
    assert "đã có dữ liệu không do bản thử (demo) tạo ra" in result.stderr
    assert "agency" in result.stderr and "isocycle-demo.db" in result.stderr
    assert "demo-isocycle" not in result.stdout + result.stderr
    assert _snapshot(engine) == before  # the secretary's e-mail, no accounts, no mark


def test_the_demo_refuses_a_live_database_of_an_older_schema_before_migrating(
    cli, engine, province
):
    """The check comes before `migrate`: the schema stamp of the live database stays."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0008'"))
    try:
        before = _snapshot(engine)
        result = cli("demo", "--today", "2026-11-24")
        after = _snapshot(engine)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD})
    assert result.exit_code == 1 and "bản thử" in result.stderr
    assert after == before and after["alembic_version"] == [("0008",)]


def test_the_demo_accounts_are_never_created_outside_the_demos_database(cli, session, province):
    from sqlmodel import select

    from models.users import User, UserError, create_demo_users

    with pytest.raises(UserError):
        create_demo_users(session=session)
    result = cli("users", "demo")
    assert result.exit_code == 1 and "bản thử" in result.stderr
    session.rollback()
    assert session.exec(select(User)).all() == []


def test_the_demo_runs_on_a_new_file_then_again_on_its_own(tmp_path: Path):
    """`make demo`, twice, through the installed command (which loads only the tables it uses):
    a new SQLite file, then the database the demo made; and `init` then `demo`."""

    def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ISOCYCLE, "--db", url, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            timeout=600,
        )

    url = f"sqlite:///{tmp_path / 'isocycle-demo.db'}"
    first = run(url, "demo", "--today", "2026-11-24")
    assert first.returncode == 0, first.stderr
    assert "demo-isocycle" in first.stdout
    # Someone plays with the demo site: their changes are the demo's too.
    done = run(url, "done", "SKHCN", "2026", "internal_audit", "--on", "2026-10-15", "--ref", "1")
    assert done.returncode == 0, done.stderr
    again = run(url, "demo", "--today", "2026-11-24")
    assert again.returncode == 0, again.stderr
    initialised = f"sqlite:///{tmp_path / 'initialised.db'}"
    assert run(initialised, "init").returncode == 0
    after_init = run(initialised, "demo", "--today", "2026-11-24")
    assert after_init.returncode == 0, after_init.stderr


def test_a_demo_database_without_its_mark_is_refused(cli, engine, session, rules):
    from models.demo import load_demo

    load_demo(session=session, rules=rules, today=date(2026, 3, 1))
    session.close()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM instance"))
    result = cli("demo", "--today", "2026-03-01")
    assert result.exit_code == 1 and "make clean" in result.stderr


@contextmanager
def _stamped(engine: Engine, version: str | None) -> Iterator[None]:
    """The database stamped `version` (None: no stamp at all), for the length of the block."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alembic_version"))
        if version is not None:
            conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": version})
    try:
        yield
    finally:  # on PostgreSQL the next tests share this database
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM alembic_version"))
            conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": HEAD})


@pytest.mark.parametrize("command", [["init"], ["status", "2026"], ["demo"]])
def test_a_newer_schema_is_named_and_nothing_is_written(cli, engine, command):
    with _stamped(engine, "0099"):
        before = _snapshot(engine)
        result = cli(*command)
        after = _snapshot(engine)
    assert result.exit_code == 1
    assert f"ở lược đồ bản 0099, mới hơn bản {HEAD}" in result.stderr
    assert "cài lại phiên bản isocycle đó" in result.stderr
    assert "Traceback" not in result.stderr and after == before


@pytest.mark.parametrize("command", [["init"], ["status", "2026"], ["agencies", "list"]])
def test_tables_without_a_stamp_are_named_and_nothing_is_written(cli, engine, province, command):
    with _stamped(engine, None):
        before = _snapshot(engine)
        result = cli(*command)
        after = _snapshot(engine)
    assert result.exit_code == 1
    assert "không có dấu phiên bản lược đồ" in result.stderr and "agency" in result.stderr
    assert "isocycle restore" in result.stderr
    assert after == before


def test_init_refuses_a_database_of_foreign_tables(tmp_path: Path):
    path = tmp_path / "other.db"
    conn = sa.create_engine(f"sqlite:///{path}")
    with conn.begin() as c:
        c.execute(sa.text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    conn.dispose()
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{path}", "init"])
    assert result.exit_code == 1 and "invoices" in result.stderr


def test_init_still_creates_and_upgrades(engine, database_url):
    from alembic import command

    from models.db import alembic_config

    command.downgrade(alembic_config(engine), "0008")  # a database of an older release
    result = CliRunner().invoke(app, ["--db", database_url, "init"])
    assert result.exit_code == 0, result.stderr
    assert _snapshot(engine)["alembic_version"] == [(HEAD,)]


def test_the_known_revisions_are_alembics(engine):
    from alembic.script import ScriptDirectory

    from models.db import alembic_config, known_revisions

    script = ScriptDirectory.from_config(alembic_config(engine))
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}


def test_a_database_with_users_and_tokens_downgrades_and_upgrades_again(cli, engine, province):
    """Found in review: rebuilding app_user on SQLite (a batch migration) failed on the foreign
    key from api_token once any token existed."""
    from alembic import command
    from sqlmodel import Session

    from models.db import alembic_config, migrate
    from models.users import create_user, issue_token

    with Session(engine) as s:
        user = create_user(session=s, username="lethu", password="mat-khau-dai", role="admin")
        issue_token(session=s, user=user)
    command.downgrade(alembic_config(engine), "0008")
    migrate(engine)
    snapshot = _snapshot(engine)
    assert snapshot["alembic_version"] == [(HEAD,)] and len(snapshot["api_token"]) == 1
