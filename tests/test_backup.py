"""`isocycle backup` while the service writes, then `isocycle restore`: every row committed before
the backup began comes back, and the copy is one consistent moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.main import app
from models.db import HEAD, make_engine
from models.tables import HistoryEntry
from tests.conftest import BACKEND

ISOCYCLE = Path(sys.executable).with_name("isocycle")
WRITER = "backup-test-writer"


class Writer(threading.Thread):
    """Commits one history row at a time, as the service would, until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.committed: list[str] = []  # ids, in commit order, appended after each commit
        self.stop = threading.Event()
        self.started_rows = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            while not self.stop.is_set():
                with Session(engine) as session:
                    row = HistoryEntry(
                        actor=WRITER, entity="test", entity_id=str(len(self.committed)), action="w"
                    )
                    session.add(row)
                    session.commit()
                    self.committed.append(str(row.id))
                if len(self.committed) >= 20:
                    self.started_rows.set()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.started_rows.set()
        finally:
            engine.dispose()


@pytest.fixture
def restore_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty database to restore into (not initialised)."""
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = make_url(os.environ["ISOCYCLE_TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"isocycle_restore_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin.set(database=name).render_as_string(hide_password=False)
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def _isocycle(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISOCYCLE, "--db", url, *args], capture_output=True, text=True, check=False, timeout=600
    )


def _writer_ids(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(HistoryEntry).where(HistoryEntry.actor == WRITER)).all()
            return [str(r.id) for r in rows]
    finally:
        engine.dispose()


def test_a_backup_taken_while_writing_restores_every_committed_row(
    database_url, province, restore_url, tmp_path: Path
):
    writer = Writer(database_url)
    writer.start()
    try:
        assert writer.started_rows.wait(60) and writer.error is None, writer.error
        before = list(writer.committed)  # committed before the backup began
        made = _isocycle(database_url, "backup", str(tmp_path / "nightly.backup"))
        during = len(writer.committed) - len(before)
    finally:
        writer.stop.set()
        writer.join(60)
    assert writer.error is None, writer.error
    assert made.returncode == 0, made.stderr
    assert during > 0  # the service kept writing while the backup ran
    assert (tmp_path / "nightly.backup").stat().st_mode & 0o777 == 0o600  # its owner's only

    restored = CliRunner().invoke(
        app, ["--db", restore_url, "restore", str(tmp_path / "nightly.backup")]
    )
    assert restored.exit_code == 0, restored.stderr
    found = _writer_ids(restore_url)
    assert set(before) <= set(found)  # every row committed before the backup
    # One consistent moment: exactly the writer's first k commits, nothing torn or invented.
    assert set(found) == set(writer.committed[: len(found)])
    assert _isocycle(restore_url, "agencies", "list", "--json").stdout.count('"code"') == 6
    if BACKEND != "postgres":
        with sqlite3.connect(make_url(restore_url).database or "") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_copying_the_db_file_loses_a_committed_write_that_the_backup_keeps(
    tmp_path: Path, database_url, engine, province
):
    """Why a file copy is not a backup: in WAL mode a commit sits in the -wal file."""
    if BACKEND == "postgres":
        pytest.skip("WAL files are SQLite's")
    with engine.connect() as conn:  # keeps the WAL open, as the running service does
        with Session(engine) as session:
            session.add(HistoryEntry(actor=WRITER, entity="test", entity_id="x", action="w"))
            session.commit()
        db_file = Path(make_url(database_url).database or "")
        shutil.copyfile(db_file, tmp_path / "copied.db")
        assert _writer_ids(f"sqlite:///{tmp_path / 'copied.db'}") == []  # the defect
        made = _isocycle(database_url, "backup", str(tmp_path / "b.backup"))
        assert made.returncode == 0, made.stderr
        conn.close()
    restored = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'r.db'}", "restore", str(tmp_path / "b.backup")]
    )
    assert restored.exit_code == 0, restored.stderr
    assert len(_writer_ids(f"sqlite:///{tmp_path / 'r.db'}")) == 1


def test_restore_refuses_a_database_with_data_unless_forced(
    cli, database_url, province, restore_url, tmp_path: Path
):
    backup = tmp_path / "b.backup"
    assert cli("backup", str(backup)).exit_code == 0
    # Into a database that holds data (this one): refused, nothing changed.
    cli("agencies", "import", str(province))
    refused = cli("restore", str(backup))
    assert refused.exit_code == 1
    assert "đã có dữ liệu" in refused.stderr and "--force" in refused.stderr
    assert "agency" in refused.stderr
    forced = cli("restore", "--force", str(backup))
    assert forced.exit_code == 0, forced.stderr
    assert cli("status", "2026").exit_code == 0


def test_restore_refuses_a_backup_of_a_newer_schema_or_not_a_backup(
    cli, database_url, tmp_path: Path
):
    if BACKEND == "postgres":
        pytest.skip("the stamp is edited in the SQLite file")
    backup = tmp_path / "b.backup"
    assert cli("backup", str(backup)).exit_code == 0
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()
    target = f"sqlite:///{tmp_path / 'new.db'}"
    newer = CliRunner().invoke(app, ["--db", target, "restore", str(backup)])
    assert newer.exit_code == 1 and f"0099, mới hơn bản {HEAD}" in newer.stderr
    junk = tmp_path / "notes.txt"
    junk.write_text("hello", encoding="utf-8")
    other = CliRunner().invoke(app, ["--db", target, "restore", str(junk)])
    assert other.exit_code == 1 and "không phải tệp sao lưu" in other.stderr


def test_a_missing_pg_dump_is_named_with_the_package_to_install(monkeypatch, tmp_path: Path):
    from models.backup import BackupError, _tool

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="postgresql-client"):
        _tool("pg_dump")


def test_an_uninitialised_database_is_not_backed_up(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "backup", str(tmp_path / "b")]
    )
    assert result.exit_code == 1 and "isocycle init" in result.stderr
    assert not (tmp_path / "b").exists()


def test_a_backup_never_replaces_the_live_database_file(cli, database_url, province):
    if BACKEND == "postgres":
        pytest.skip("a file database")
    live = Path(make_url(database_url).database or "")
    for name in (live, live.with_name(live.name + "-wal")):
        result = cli("backup", str(name))
        assert result.exit_code == 1 and "phải khác tệp cơ sở dữ liệu" in result.stderr
    assert cli("agencies", "list").exit_code == 0


def test_the_postgresql_password_never_reaches_the_command_line():
    """pg_dump and pg_restore get the password in their environment: `ps` shows arguments to
    every user of the machine (found in review)."""
    from models.backup import _libpq_env, _libpq_url

    url = "postgresql+psycopg://isocycle:s3cret-pw@db.example:5432/isocycle"
    assert "s3cret-pw" not in _libpq_url(url)
    assert _libpq_url(url) == "postgresql://isocycle@db.example:5432/isocycle"
    env = _libpq_env(url)
    assert env is not None and env["PGPASSWORD"] == "s3cret-pw" and "PATH" in env
    assert _libpq_env("postgresql://postgres@127.0.0.1:5432/test") is None


def test_an_older_backup_restored_over_an_initialised_database_upgrades_again(
    cli, engine, database_url, province, restore_url, tmp_path: Path
):
    """Found in review: on PostgreSQL, pg_restore --clean dropped only the dump's tables, so a
    table of a newer schema (instance, 0009) survived beside the restored 0008 stamp, and the
    `init` the restore asks for failed on it."""
    from alembic import command

    from models.backup import backup
    from models.db import alembic_config, migrate

    assert cli("agencies", "import", str(province)).exit_code == 0
    command.downgrade(alembic_config(engine), "0008")  # a database of an older release
    try:
        older = tmp_path / "older.backup"
        assert backup(database_url, older).revision == "0008"
    finally:
        migrate(engine)  # on PostgreSQL this is the suite's template database
    assert _isocycle(restore_url, "init").returncode == 0  # a new server, initialised
    restored = _isocycle(restore_url, "restore", str(older))
    assert restored.returncode == 0, restored.stderr
    upgraded = _isocycle(restore_url, "init")
    assert upgraded.returncode == 0, upgraded.stderr
    target = make_engine(restore_url)
    try:
        with target.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert conn.execute(sa.text("SELECT count(*) FROM agency")).scalar() == 6
    finally:
        target.dispose()
