"""Login attempts and their throttle: growing waits per (username, address) and per address,
counted atomically, never a lock-out of the right password from an address that has not failed.

OWASP's authentication guidance, as applied here:
- A wrong password is counted for its (username, address) pair and for its address. Past an
  allowance, the next try from that pair (or address) must wait, and the wait doubles with each
  further failure, up to LOGIN_MAX_DELAY. There is no count per username across addresses: that
  one let anyone lock any account out by failing it from a few addresses.
- A username that signed in from an address within the window is not held back by that
  address's spraying count (an office behind one NAT address keeps working); its own pair
  count still applies.
- The check and the count are one step: the try is inserted and counted under a lock on its
  address, so forty tries at once let exactly the allowance through to the password check.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, delete, func, select, update
from sqlmodel import Field, Session, SQLModel

from models.tables import instant, table_of, utcnow
from models.users import User, verify_login

# Wrong passwords one username may have from one address before each further try waits.
LOGIN_FREE_FAILURES = 5
# Wrong passwords one address may have across usernames (password spraying) before it waits;
# an office behind one NAT address shares it, hence well above the per-pair allowance.
LOGIN_FREE_FAILURES_PER_IP = 30
# The wait after the first failure past an allowance; each further failure doubles it.
LOGIN_FIRST_DELAY = timedelta(minutes=1)
LOGIN_MAX_DELAY = timedelta(hours=1)
# How long a failure counts, and a success spares its pair the address's spraying count.
LOGIN_WINDOW = timedelta(hours=24)


# One login attempt, kept in the database so throttling survives restarts and spans processes.
# A try is stored as failed before its password is checked, and marked ok once it succeeds.
class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_user_ip_at", "username", "ip", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=100)
    ip: str = Field(max_length=64)
    at: datetime = instant(default_factory=utcnow)
    ok: bool = False


LOGIN_ATTEMPT = table_of(LoginAttempt)


@dataclass(frozen=True)
class LoginResult:
    """A login's outcome: the user signed in, or None; `wait` is set when the try was refused
    unchecked because its pair or address must wait that long."""

    user: User | None
    wait: timedelta | None = None


def _delay(failures_past_allowance: int, last: datetime | None, now: datetime) -> timedelta:
    """The time still to wait after `last` failure, when failures exceed their allowance."""
    if failures_past_allowance < 0 or last is None:
        return timedelta(0)
    delay = min(LOGIN_FIRST_DELAY * 2 ** min(failures_past_allowance, 20), LOGIN_MAX_DELAY)
    remaining: timedelta = last + delay - now
    return max(remaining, timedelta(0))


def login_wait(
    *, session: Session, username: str, ip: str, now: datetime, exclude: uuid.UUID | None = None
) -> timedelta:
    """How long this (username, address) must wait before its password is checked; 0 for now.

    `exclude` leaves out the try being decided, already stored by `attempt_login`.
    """
    a = LOGIN_ATTEMPT.c
    pair, failed = a.username == username[:100], a.ok.is_(False)
    where = [a.ip == address_key(ip), a.at > now - LOGIN_WINDOW]
    if exclude is not None:
        where.append(a.id != exclude)
    # One query over this address's recent tries: every count and time the rules need.
    pair_failures, pair_last, ip_failures, ip_last, pair_ok = session.execute(
        select(
            func.count().filter(pair, failed),
            func.max(a.at).filter(pair, failed),
            func.count().filter(failed),
            func.max(a.at).filter(failed),
            func.count().filter(pair, a.ok.is_(True)),
        ).where(*where)
    ).one()
    wait = _delay(pair_failures - LOGIN_FREE_FAILURES, pair_last, now)
    if not pair_ok:
        wait = max(wait, _delay(ip_failures - LOGIN_FREE_FAILURES_PER_IP, ip_last, now))
    return wait


def address_key(ip: str) -> str:
    """The address a try counts against: an IPv6 address by its /64, which one home or office
    gets whole, so rotating through it buys no fresh allowance; anything else as given."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # an IPv4 visitor on a dual-stack socket
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _lock_address(session: Session, ip: str) -> None:
    """Serialize the tries of one address until commit: on PostgreSQL with an advisory lock on
    it; on SQLite the INSERT that follows takes the database's only write lock."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(
            hashlib.sha256(f"login:{ip}".encode()).digest()[:8], "big", signed=True
        )
        session.execute(select(func.pg_advisory_xact_lock(key)))


def attempt_login(
    *, session: Session, username: str, password: str, ip: str, now: datetime
) -> LoginResult:
    """Check a login unless its pair or address must wait; record the try either way it is
    checked, and forget the pair's failures on success. Commits the session."""
    username, ip = username.strip()[:100], address_key(ip)
    session.commit()  # end any earlier read, so the count below sees every committed try
    _lock_address(session, ip)
    attempt = LoginAttempt(username=username, ip=ip, at=now, ok=False)
    session.add(attempt)
    session.flush()
    wait = login_wait(session=session, username=username, ip=ip, now=now, exclude=attempt.id)
    if wait:
        session.rollback()  # a refused try is not counted: waiting out the delay is enough
        return LoginResult(None, wait)
    # Tries older than the window count for nothing: drop them so the table stays small.
    session.execute(delete(LOGIN_ATTEMPT).where(LOGIN_ATTEMPT.c.at <= now - LOGIN_WINDOW))
    attempt_id = attempt.id
    session.commit()  # the try counts as failed from here until its password proves right
    user = verify_login(session=session, username=username, password=password)
    if user is not None:
        a = LOGIN_ATTEMPT.c
        session.execute(
            delete(LOGIN_ATTEMPT).where(a.username == username, a.ip == ip, a.id != attempt_id)
        )
        session.execute(update(LOGIN_ATTEMPT).where(a.id == attempt_id).values(ok=True))
        session.commit()
    return LoginResult(user)
