"""A lease in the database that lets exactly one process run the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from models.tables import instant, table_of

SCHEDULER = "scheduler"


# Who holds a named lease, and until when (it must be renewed before then).
class Lease(SQLModel, table=True):
    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    expires_at: datetime = instant()
    # When the current holder took it (kept across renewals); for /healthz.
    since: datetime | None = instant(default=None)


LEASE = table_of(Lease)


def acquire(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; True if `holder` has it until now + ttl.

    A conditional UPDATE takes it over only when it is ours or has expired, and an INSERT that
    loses a race to another process fails on the primary key: either way one holder wins.
    """
    expires = now + ttl
    taken = (
        session.connection()
        .execute(
            update(LEASE)
            .where(LEASE.c.name == name, or_(LEASE.c.holder == holder, LEASE.c.expires_at < now))
            .values(
                holder=holder,
                expires_at=expires,
                since=case((LEASE.c.holder == holder, LEASE.c.since), else_=now),
            )
        )
        .rowcount
    )
    if taken == 1:
        session.commit()
        return True
    try:
        session.execute(
            insert(LEASE).values(name=name, holder=holder, expires_at=expires, since=now)
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release(*, session: Session, name: str, holder: str) -> None:
    """Give the lease up at once, if we hold it, so a successor need not wait for it to expire."""
    session.execute(delete(LEASE).where(LEASE.c.name == name, LEASE.c.holder == holder))
    session.commit()


def holder_of(*, session: Session, name: str) -> str | None:
    """Who holds the lease now, or held it last if it has expired (None: nobody ever)."""
    lease = current(session=session, name=name)
    return lease.holder if lease else None


def current(*, session: Session, name: str) -> Row[Any] | None:
    """The lease as stored: holder, since, expires_at (it may have expired; compare the clock)."""
    c = LEASE.c
    row = session.execute(
        select(c.holder, c.since, c.expires_at).where(c.name == name)
    ).one_or_none()
    session.commit()  # end the read so that a later acquire in this session sees fresh rows
    return row
