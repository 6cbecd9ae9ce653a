"""Exactly one scheduler per database: a lease that one process holds and renews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import lease

T0 = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
TTL = timedelta(minutes=5)


def take(session, holder: str, now: datetime) -> bool:
    return lease.acquire(session=session, name=lease.SCHEDULER, holder=holder, now=now, ttl=TTL)


def test_only_one_holder_at_a_time_until_it_expires(session):
    assert take(session, "web-1:100", T0)
    assert not take(session, "web-2:200", T0 + timedelta(minutes=1))
    assert take(session, "web-1:100", T0 + timedelta(minutes=4))  # renewed: now until 0:39
    assert not take(session, "web-2:200", T0 + timedelta(minutes=8, seconds=59))
    # web-1 died and stopped renewing: once the lease has expired another process takes over.
    assert take(session, "web-2:200", T0 + timedelta(minutes=9, seconds=1))
    assert lease.holder_of(session=session, name=lease.SCHEDULER) == "web-2:200"
    assert not take(session, "web-1:100", T0 + timedelta(minutes=10))


def test_releasing_lets_a_successor_start_at_once(session):
    assert take(session, "web-1:100", T0)
    lease.release(session=session, name=lease.SCHEDULER, holder="web-2:200")  # not the holder
    assert not take(session, "web-2:200", T0)
    lease.release(session=session, name=lease.SCHEDULER, holder="web-1:100")
    assert take(session, "web-2:200", T0)
