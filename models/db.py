"""Engines, sessions and schema migration (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision, so commands can check the schema without importing Alembic
# (a test keeps it equal to Alembic's own head).
HEAD = "0020"
# How long a CLI command or a job waits for a SQLite write lock held by another connection.
SQLITE_BUSY_TIMEOUT_S = 30.0
# SQLite result codes (the low byte of extended codes such as SQLITE_BUSY_SNAPSHOT).
SQLITE_BUSY, SQLITE_LOCKED = 5, 6
# PostgreSQL SQLSTATEs of a transaction that lost to another one's lock: lock_not_available
# (what lock_timeout raises), serialization_failure, deadlock_detected.
PG_LOCK_STATES = frozenset({"55P03", "40001", "40P01"})
BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the web app read while the scheduler writes; busy_timeout makes a second
        # writer wait for the lock instead of failing at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def make_engine(url: str, *, busy_timeout: float | None = None) -> Engine:
    """Return an engine for the URL; SQLite files get WAL mode and foreign keys.

    - `busy_timeout` (seconds) bounds how long a statement waits for a lock another connection
      holds, then fails with a lock error; None waits 30 s on SQLite and without limit on
      PostgreSQL (lock_timeout).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        seconds = SQLITE_BUSY_TIMEOUT_S if busy_timeout is None else busy_timeout
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": seconds})
        event.listen(engine, "connect", _sqlite_pragmas(round(seconds * 1000)))
        return engine
    connect_args = {}
    if busy_timeout is not None:
        connect_args["options"] = f"-c lock_timeout={round(busy_timeout * 1000):d}"
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def is_busy_error(exc: BaseException) -> bool:
    """True when a database error means another transaction held a lock for too long."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return state in PG_LOCK_STATES
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return str(orig).strip().lower() in BUSY_MESSAGES


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration; running it again does nothing."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def known_revisions() -> frozenset[str]:
    """Every revision this code has a migration for, read from the file names (`0008_...py`)
    so that no command has to import Alembic to tell an older schema from a newer one."""
    return frozenset(p.name.split("_")[0] for p in (MIGRATIONS_DIR / "versions").glob("*.py"))


@dataclass(frozen=True)
class SchemaState:
    """What a database holds, as far as the schema goes: its stamped revision and its tables."""

    current: str | None
    tables: tuple[str, ...]

    @property
    def kind(self) -> str:
        """empty | unstamped (tables, no revision) | current | older | newer (or unknown)."""
        if self.current is None:
            return "unstamped" if self.tables else "empty"
        if self.current == HEAD:
            return "current"
        return "older" if self.current in known_revisions() else "newer"


def schema_state(engine: Engine) -> SchemaState:
    """Read the database's revision (Alembic's table, read directly) and its table names."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        found = (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if "alembic_version" in names
            else []
        )
    others = tuple(n for n in names if n != "alembic_version")
    return SchemaState(current=", ".join(sorted(found)) or None, tables=others)
