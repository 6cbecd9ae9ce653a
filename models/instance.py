"""Facts about this database itself, as key/value rows: for now, that the demo created it."""

from __future__ import annotations

from sqlalchemy import Connection, insert, inspect, select
from sqlmodel import Field, SQLModel

from models.tables import table_of

# Written when `isocycle demo` takes a database for its own: the demo writes nowhere else, and
# its accounts (with their public password) are only created where this row is.
DEMO = "demo"


class InstanceFact(SQLModel, table=True):
    __tablename__ = "instance"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)


INSTANCE = table_of(InstanceFact)


def get(conn: Connection, key: str) -> str | None:
    """The value stored under `key`, or None (also before the table exists: an older schema)."""
    if not inspect(conn).has_table(INSTANCE.name):
        return None
    return conn.execute(select(INSTANCE.c.value).where(INSTANCE.c.key == key)).scalar()


def put_once(conn: Connection, key: str, value: str) -> None:
    """Store `value` under `key` unless a value is there already (the first one is kept)."""
    if get(conn, key) is None:
        conn.execute(insert(INSTANCE).values(key=key, value=value))
