"""The whole database to one file and back: SQLite's online backup API, or PostgreSQL's
pg_dump/pg_restore in the custom format; a file is checked and stamped with its schema revision.

SQLite in WAL mode keeps committed writes in the -wal file until a checkpoint, so copying the .db
file alone loses them; the backup API copies a consistent snapshot while writers go on.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from models.db import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables that say what a database is rather than hold its data: restoring over them is safe.
NOT_DATA = frozenset({"alembic_version", "instance"})
TOOL_TIMEOUT_S = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    """A backup file: which database it came from (sqlite | postgresql) and its schema revision."""

    path: Path
    kind: str
    revision: str | None

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"chỉ sao lưu được SQLite và PostgreSQL, không phải «{name}»")
    return name


def backup(url: str, dest: Path) -> BackupFile:
    """Write a consistent copy of the database at `url` to `dest` (replaced atomically)."""
    if not read_revision(url):
        raise BackupError(
            "cơ sở dữ liệu chưa có lược đồ isocycle (chưa `isocycle init`): không có gì để sao lưu"
        )
    dest = dest.resolve()
    if not dest.parent.is_dir():
        raise BackupError(f"không có thư mục {dest.parent} để ghi tệp sao lưu")
    if backend_of(url) == "sqlite":
        live = str(_sqlite_path(url).resolve())
        if str(dest) in {live + suffix for suffix in ("", "-wal", "-shm", "-journal")}:
            # Replacing the live file (or its -wal) under the service would corrupt it.
            raise BackupError(f"{dest.name}: tệp sao lưu phải khác tệp cơ sở dữ liệu đang dùng")
    part = dest.with_name(dest.name + ".part")  # same directory: the rename is atomic
    part.unlink(missing_ok=True)
    try:
        if backend_of(url) == "sqlite":
            _sqlite_backup(_sqlite_path(url), part)
        else:
            _pg_dump(url, part)
        # It holds password and token hashes and every agency's data: its owner only.
        part.chmod(0o600)
        with part.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return inspect_backup(dest)


def inspect_backup(path: Path) -> BackupFile:
    """What a backup file is and its schema revision; BackupError if it is not a backup."""
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        with _sqlite_open(path, read_only=True) as conn:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            if ok is None or ok[0] != "ok":
                raise BackupError(f"{path.name}: tệp sao lưu SQLite bị hỏng ({ok and ok[0]})")
            return BackupFile(path, "sqlite", _sqlite_revision(conn))
    if head.startswith(PGDUMP_MAGIC):
        return BackupFile(path, "postgresql", _pg_dump_revision(path))
    raise BackupError(
        f"{path.name}: không phải tệp sao lưu của isocycle (tệp SQLite hoặc pg_dump -Fc)"
    )


def tables_with_rows(url: str) -> list[str]:
    """The tables of the database at `url` that hold data (any row), sorted."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            names = sorted(set(inspect(conn).get_table_names()) - NOT_DATA)
            return [
                n for n in names if conn.execute(text(f"SELECT 1 FROM {quote(n)} LIMIT 1")).first()
            ]
    finally:
        engine.dispose()


def read_revision(url: str) -> str | None:
    """The schema revision stamped in the database at `url`, or None."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    return ", ".join(sorted(found)) or None


def restore(url: str, source: Path) -> BackupFile:
    """Replace the database at `url` with the backup `source` (all or nothing).

    The caller checks first that the target may be overwritten (tables_with_rows) and that the
    backup's revision suits this code.
    """
    found = inspect_backup(source)
    backend = backend_of(url)
    if found.kind != backend:
        raise BackupError(
            f"{source.name} là bản sao lưu {found.kind}, không khôi phục được vào cơ sở dữ liệu "
            f"{backend}"
        )
    if backend == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and target.resolve() == source.resolve():
            raise BackupError(f"{source.name} chính là cơ sở dữ liệu đích")
        with _sqlite_open(source, read_only=True) as src, _sqlite_open(target) as dst:
            # One step: the target changes in a single transaction, its -wal file included.
            src.backup(dst)
    else:
        _pg_restore(url, source)
    return found


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được")
    return Path(database)


def _sqlite_open(path: Path, *, read_only: bool = False) -> closing[sqlite3.Connection]:
    """A connection closed on exit (sqlite3's own context manager only commits)."""
    if read_only:
        return closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30))
    return closing(sqlite3.connect(path, timeout=30))


def _sqlite_backup(source: Path, part: Path) -> None:
    if not source.exists():
        raise BackupError(f"không có tệp cơ sở dữ liệu {source}")
    with _sqlite_open(source) as src, _sqlite_open(part) as dst:
        # One step holds one read transaction for the whole copy: a snapshot of every committed
        # write (WAL included) while writers go on.
        src.backup(dst)
        # A single self-contained file, whatever mode the source was in.
        dst.execute("PRAGMA journal_mode=DELETE")


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        return None
    return ", ".join(sorted(r[0] for r in rows)) or None


# --- PostgreSQL ---------------------------------------------------------------------------------


def _libpq_url(url: str) -> str:
    """The URL as libpq takes it (no SQLAlchemy driver suffix such as +psycopg), without its
    password: a command line is visible to every user of the machine (`ps`)."""
    parts = make_url(url)
    bare = URL.create(
        "postgresql", parts.username, None, parts.host, parts.port, parts.database, parts.query
    )
    return bare.render_as_string(hide_password=False)


def _libpq_env(url: str) -> dict[str, str] | None:
    """The environment for pg_dump/pg_restore, with the URL's password in PGPASSWORD."""
    password = make_url(url).password
    return None if password is None else os.environ | {"PGPASSWORD": str(password)}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"không tìm thấy lệnh {name}: hãy cài gói postgresql-client cùng phiên bản chính "
            "với máy chủ PostgreSQL (ví dụ apt-get install postgresql-client-15)"
        )
    return found


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)\.\d+", version_text)
    return int(found.group(1)) if found else 0


def _server_major(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


def _run(args: list[str], what: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False, env=env
    )
    if done.returncode != 0:
        raise BackupError(f"{what} thất bại (mã {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _pg_dump(url: str, part: Path) -> None:
    exe = _tool("pg_dump")
    tool, server = _major(_run([exe, "--version"], "pg_dump --version")), _server_major(url)
    if tool < server:
        raise BackupError(
            f"pg_dump {tool} không sao lưu được máy chủ PostgreSQL {server}: hãy cài "
            f"postgresql-client-{server} (pg_dump phải cùng phiên bản hoặc mới hơn máy chủ)"
        )
    # The custom format is compressed and lets pg_restore restore it in one transaction.
    _run(
        [exe, "--format=custom", "--no-owner", "--no-privileges", f"--file={part}"]
        + [f"--dbname={_libpq_url(url)}"],
        "pg_dump",
        _libpq_env(url),
    )


def _pg_dump_revision(path: Path) -> str | None:
    script = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        "pg_restore (đọc tệp sao lưu)",
    )
    # COPY public.alembic_version (version_num) FROM stdin; then one row a line, then \.
    lines = script.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("COPY ")), None)
    if start is None:
        return None
    found = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        found.append(line)
    return ", ".join(sorted(found)) or None


def _pg_restore(url: str, source: Path) -> None:
    """Drop isocycle's tables and load the backup in one transaction of psql's: all or nothing.

    pg_restore --clean drops only what the dump holds, so a table a newer schema added (restoring
    an older backup into an initialised database) survived beside an older version stamp, and
    the upgrade that follows then failed on it.
    """
    from sqlmodel import SQLModel

    import models.all_tables  # noqa: F401  (every isocycle table on SQLModel.metadata)

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    ours = present & (set(SQLModel.metadata.tables) | {"alembic_version"})
    drop = (
        "DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in sorted(ours)) + " CASCADE"
        if ours
        else ""
    )
    env = _libpq_env(url)
    with tempfile.TemporaryDirectory(prefix="isocycle-restore-") as tmp:
        # The whole script first: psql must never commit a script that pg_restore cut short.
        script = Path(tmp) / "restore.sql"
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(source)],
            "pg_restore",
            env,
        )
        # -1 wraps every -c and -f in one BEGIN … COMMIT; ON_ERROR_STOP rolls it all back.
        _run(
            [_tool("psql"), "--quiet", "--no-psqlrc", "-1", "-v", "ON_ERROR_STOP=1"]
            + (["-c", drop] if drop else [])
            + [f"--file={script}", f"--dbname={_libpq_url(url)}"],
            "psql",
            env,
        )
