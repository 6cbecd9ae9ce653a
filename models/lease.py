"""A lease in the database that lets exactly one process run the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, update
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
            .values(holder=holder, expires_at=expires)
        )
        .rowcount
    )
    if taken == 1:
        session.commit()
        return True
    try:
        session.execute(insert(LEASE).values(name=name, holder=holder, expires_at=expires))
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
    lease = session.get(Lease, name)
    return lease.holder if lease else None
