"""Delivery claims: claim a batch of due deliveries, record each attempt, renew and release.

A worker holds a delivery while its row is `sending` with the worker's claim token; the claim
stays valid for claim_timeout after claimed_at, which the worker renews as it records results.
notifications/outbox.py drives these functions; the tables are in models/reminders.py.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, insert, or_, select, update
from sqlmodel import Session

from models.reminders import (
    CANCELLED,
    DELIVERY,
    DELIVERY_ATTEMPT,
    DELIVERY_ITEM,
    FAILED,
    KIND_REMINDER,
    PENDING,
    REMINDER,
    RETRY,
    SENDING,
    SENT,
    Outcome,
    ReminderPolicy,
)
from models.tables import AGENCY, STEP, STEP_OPEN


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds, with what is needed to render it."""

    id: uuid.UUID
    kind: str
    role: str
    to_addr: str
    to_name: str | None
    cc: tuple[str, ...]
    as_of: date
    attempts: int
    payload: dict[str, Any] | None
    items: tuple[dict[str, Any], ...] = ()


def claim_batch(
    *, session: Session, now: datetime, policy: ReminderPolicy, token: str
) -> list[ClaimedDelivery]:
    """Atomically claim up to batch_size deliveries that are due, and return them with items.

    A conditional UPDATE marks rows `sending` only if they are still pending/retry and due, or
    `sending` with a claim older than claim_timeout (its worker died: a live worker renews its
    claim as it records results); a rival worker's UPDATE then matches nothing. `token` is unique
    per claim, so the rows read back (oldest due first) are exactly ours.
    """
    d = DELIVERY.c
    stale = now - policy.claim_timeout
    claimable = or_(
        and_(d.status.in_((PENDING, RETRY)), d.next_attempt_at <= now),
        and_(d.status == SENDING, d.claimed_at < stale),
    )
    ids = (
        session.execute(
            select(d.id).where(claimable).order_by(d.next_attempt_at, d.id).limit(policy.batch_size)
        )
        .scalars()
        .all()
    )
    if not ids:
        session.commit()
        return []
    session.execute(
        update(DELIVERY)
        .where(d.id.in_(ids), claimable)
        .values(status=SENDING, claimed_by=token, claimed_at=now)
    )
    session.commit()
    claimed = session.execute(
        select(d.id, d.kind, d.role, d.to_addr, d.to_name, d.cc, d.as_of, d.attempts, d.payload)
        .where(d.claimed_by == token, d.status == SENDING)
        .order_by(d.next_attempt_at, d.id)
    ).all()
    items: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    reminder_ids = [c.id for c in claimed if c.kind == KIND_REMINDER]
    if reminder_ids:
        a, s, r, i = AGENCY.c, STEP.c, REMINDER.c, DELIVERY_ITEM.c
        for row in session.execute(
            select(
                i.delivery_id,
                r.stage,
                r.escalated,
                r.due.label("reminded_due"),
                s.id.label("step_id"),
                s.key,
                s.title,
                s.year,
                s.due,
                s.state,
                a.code,
                a.name,
            )
            .join_from(DELIVERY_ITEM, REMINDER, r.id == i.reminder_id)
            .join(STEP, s.id == r.step_id)
            .join(AGENCY, a.id == s.agency_id)
            .where(i.delivery_id.in_(reminder_ids))
            .order_by(s.due, a.code, s.key)
        ):
            items[row.delivery_id].append(dict(row._mapping))
    session.commit()
    return [
        ClaimedDelivery(
            id=c.id,
            kind=c.kind,
            role=c.role,
            to_addr=c.to_addr,
            to_name=c.to_name,
            cc=tuple(c.cc or ()),
            as_of=c.as_of,
            attempts=c.attempts,
            payload=c.payload,
            items=tuple(items.get(c.id, ())),
        )
        for c in claimed
    ]


def still_due(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items whose step is still open and still has the deadline it was reminded for."""
    return [it for it in items if it["state"] == STEP_OPEN and it["due"] == it["reminded_due"]]


@dataclass(frozen=True)
class Recorded:
    """What recording one result did: the delivery's new status and, if the claim was renewed,
    how many rows of the batch this worker still holds."""

    status: str
    still_held: int | None = None


def record_outcome(
    *,
    session: Session,
    delivery: ClaimedDelivery,
    outcome: Outcome,
    now: datetime,
    policy: ReminderPolicy,
    token: str,
    renew: bool = True,
    transport: str | None = None,
) -> Recorded:
    """Store one attempt's result on the delivery (if we still hold it) and as an attempt row,
    and with `renew` set the claim on the rest of the batch to `now`, in one transaction.

    A sent delivery keeps `transport`: over SMTP, or only written to a file.

    A temporary failure becomes `retry` with a backoff, or `failed` once max_attempts is reached;
    it is never retried forever. `now` is the time of the attempt (the pass's clock, advanced).
    """
    attempts = delivery.attempts + (0 if outcome.status == CANCELLED else 1)
    status, next_at = outcome.status, now
    error = outcome.error
    if status == RETRY:
        if attempts >= policy.max_attempts:
            status = FAILED
            error = f"gave up after {attempts} attempts; last error: {error}"
        else:
            next_at = now + policy.retry_delay(attempts)
    values: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "last_error": (error or None) and error[:2000],
        "next_attempt_at": next_at,
    }
    if status == SENT:
        values["sent_at"] = now
        values["transport"] = transport
    d = DELIVERY.c
    conn = session.connection()
    conn.execute(
        update(DELIVERY)
        .where(d.id == delivery.id, d.claimed_by == token, d.status == SENDING)
        .values(**values)
    )
    if outcome.status != CANCELLED:
        conn.execute(
            insert(DELIVERY_ATTEMPT).values(
                id=uuid.uuid4(),
                delivery_id=delivery.id,
                at=now,
                worker=token[:200],
                outcome=status,
                error=(error or None) and error[:2000],
            )
        )
    held = None
    if renew:
        # A batch of 200 mails to a slow server can take far longer than claim_timeout: renewed
        # along with the results, the claim lives as long as its worker, and no rival takes over.
        held = conn.execute(
            update(DELIVERY)
            .where(d.claimed_by == token, d.status == SENDING)
            .values(claimed_at=now)
        ).rowcount
    session.commit()
    return Recorded(status, held)


def held_by(*, session: Session, token: str) -> set[uuid.UUID]:
    """The ids of the deliveries the claim `token` still holds."""
    d = DELIVERY.c
    ids = set(
        session.execute(select(d.id).where(d.claimed_by == token, d.status == SENDING)).scalars()
    )
    session.commit()
    return ids


def release_claim(*, session: Session, token: str) -> int:
    """Put back the deliveries the claim `token` still holds, untried, claimable at once.

    Each goes back to `pending` (never attempted) or `retry` (attempted before), with its
    attempts and next_attempt_at unchanged and no attempt row, since nothing was tried.
    Returns how many were released.
    """
    d = DELIVERY.c
    conn = session.connection()
    released = conn.execute(
        update(DELIVERY)
        .where(d.claimed_by == token, d.status == SENDING)
        .values(
            status=case((d.attempts == 0, PENDING), else_=RETRY),
            claimed_by=None,
            claimed_at=None,
        )
    ).rowcount
    session.commit()
    return released
