"""One reminder pass: decide today's reminders, then claim, render and send queued deliveries."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from config.settings import Settings
from models.calendar import WorkingCalendar
from models.claims import (
    ClaimedDelivery,
    claim_batch,
    held_by,
    record_outcome,
    release_claim,
    still_due,
)
from models.reminders import (
    CANCELLED,
    FAILED,
    KIND_DIGEST,
    RETRY,
    SENT,
    TRANSPORT_FILE,
    DecideResult,
    Outcome,
    ReminderPolicy,
    decide_reminders,
    outbox_counts,
    queue_overseer_digest,
    worker_id,
)
from notifications.email_transport import (
    EmlConnection,
    Mailer,
    SmtpConnection,
    TransportDown,
    make_mailer,
)
from notifications.messages import EmailMessage, render_digest, render_reminder

log = logging.getLogger(__name__)
NOTHING_LEFT = "every step was done, waived or re-dated before sending"


@dataclass
class DeliverResult:
    """What one delivery run did, counted per delivery (one e-mail each)."""

    # Sent over SMTP.
    sent: int = 0
    # Only written to .eml files in the outbox folder (no SMTP server configured).
    written: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    # Put back unsent because the run was asked to stop.
    released: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class PassResult:
    """What one reminder pass did, and what is still waiting in the outbox."""

    decide: DecideResult
    deliver: DeliverResult
    waiting_retry: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "decided": self.decide.decided,
            "queued": self.decide.deliveries,
            "sent": self.deliver.sent,
            "written": self.deliver.written,
            "retry": self.deliver.retry,
            "failed": self.deliver.failed,
            "cancelled": self.deliver.cancelled,
            "waiting_retry": self.waiting_retry,
            "no_recipient": len(self.decide.no_recipient),
        }


def _message(
    d: ClaimedDelivery, *, now: datetime, settings: Settings, policy: ReminderPolicy
) -> EmailMessage | None:
    """Render a claimed delivery, or None if none of its steps still needs reminding."""
    message_id = f"<{d.id}@isocycle>"
    if d.kind == KIND_DIGEST:
        return render_digest(
            to=d.to_addr,
            to_name=d.to_name,
            cc=d.cc,
            payload=d.payload or {},
            as_of=d.as_of,
            settings=settings,
            message_id=message_id,
        )
    # Steps done, waived or re-dated since the reminder was decided are left out: the mail
    # says what is still to do on the day it is sent.
    items = still_due(d.items)
    if not items:
        return None
    return render_reminder(
        to=d.to_addr,
        to_name=d.to_name,
        cc=d.cc,
        role=d.role,
        items=items,
        today=now.astimezone(settings.zone).date(),
        settings=settings,
        policy=policy,
        message_id=message_id,
    )


def pass_clock(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at the pass's logical `now` and runs with real (monotonic) time."""
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)


def _attempt(
    conn: SmtpConnection | EmlConnection,
    d: ClaimedDelivery,
    *,
    now: datetime,
    settings: Settings,
    policy: ReminderPolicy,
) -> Outcome:
    """Render and send one claimed delivery; raise TransportDown if the server is gone."""
    try:
        message = _message(d, now=now, settings=settings, policy=policy)
    except Exception as exc:
        # One delivery that cannot be rendered must not block the others on every pass: it is
        # failed, visibly, with the reason.
        log.exception("cannot render delivery %s", d.id)
        return Outcome(FAILED, f"cannot render: {exc!r}")
    if message is None:
        return Outcome(CANCELLED, "every step was done, waived or re-dated")
    return conn.send(message)


def deliver_pending(
    *,
    session: Session,
    settings: Settings,
    policy: ReminderPolicy,
    now: datetime,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
) -> DeliverResult:
    """Claim due deliveries batch by batch and send each batch over one connection.

    - Every attempt is recorded (status, attempts, last error, next attempt) as soon as it ends,
      and the claim on the rest of the batch is renewed along the way, however slow the server.
    - If the server cannot be reached, the whole batch is put back for a later pass and the run
      stops; nothing is dropped.
    - `stop` is checked between mails: once set, the unsent rest of the batch is released
      (claimable again at once, no attempt counted) and the run returns.
    - `clock` times claims and attempts; by default `now` advanced by the real time elapsed.
    """
    mailer = mailer or make_mailer(settings)
    clock = clock or pass_clock(now)
    result = DeliverResult()
    base = worker_id()

    # Renewing the claim updates every row left in the batch (up to 199); with every result it
    # about doubled the cost of recording one (measured on SQLite and PostgreSQL), so it is done
    # with the first result after a quarter of claim_timeout. A rival can then only take over
    # if ONE mail (and its commit) takes three quarters of claim_timeout.
    renew_every = policy.claim_timeout / 4
    renewed_at = now

    def record(
        d: ClaimedDelivery, outcome: Outcome, token: str, transport: str | None = None
    ) -> int | None:
        nonlocal renewed_at
        at = clock()
        renew = at - renewed_at >= renew_every
        recorded = record_outcome(
            session=session,
            delivery=d,
            outcome=outcome,
            now=at,
            policy=policy,
            token=token,
            renew=renew,
            transport=transport,
        )
        if renew:
            renewed_at = at
        if recorded.status == SENT and transport == TRANSPORT_FILE:
            result.written += 1
        elif recorded.status == SENT:
            result.sent += 1
        elif recorded.status == RETRY:
            result.retry += 1
        elif recorded.status == FAILED:
            result.failed += 1
            result.errors.append(f"{d.to_addr}: {outcome.error}")
        elif recorded.status == CANCELLED:
            result.cancelled += 1
        return recorded.still_held

    def stop_requested() -> bool:
        return stop is not None and stop.is_set()

    while not stop_requested():
        token = f"{base}:{uuid.uuid4().hex[:12]}"
        renewed_at = clock()
        batch = claim_batch(session=session, now=renewed_at, policy=policy, token=token)
        if not batch:
            return result
        todo = list(batch)
        try:
            with mailer.connect() as conn:
                while todo:
                    if stop_requested():
                        result.released += release_claim(session=session, token=token)
                        return result
                    d = todo[0]
                    outcome = _attempt(conn, d, now=now, settings=settings, policy=policy)
                    held = record(d, outcome, token, conn.transport)
                    todo.pop(0)
                    if held is not None and held < len(todo):
                        # This worker stalled for longer than claim_timeout and a rival took
                        # over part of the batch: those mails are the rival's to send now.
                        mine = held_by(session=session, token=token)
                        log.warning("%d deliveries were taken over", len(todo) - len(mine))
                        todo = [t for t in todo if t.id in mine]
        except TransportDown as exc:
            log.warning("SMTP unavailable, %d deliveries wait for a later pass: %s", len(todo), exc)
            for d in todo:
                record(d, Outcome(RETRY, str(exc)), token)
            return result
    return result


def reminder_pass(
    *,
    session: Session,
    settings: Settings,
    policy: ReminderPolicy,
    working: WorkingCalendar,
    now: datetime,
    mailer: Mailer | None = None,
    stop: threading.Event | None = None,
) -> PassResult:
    """Decide today's reminders (local date of `now`) and deliver everything that is due.

    `stop` ends the delivery between two mails (see deliver_pending)."""
    today = now.astimezone(settings.zone).date()
    decided = decide_reminders(
        session=session, today=today, now=now, policy=policy, working=working
    )
    delivered = deliver_pending(
        session=session, settings=settings, policy=policy, now=now, mailer=mailer, stop=stop
    )
    waiting = outbox_counts(session=session)[RETRY]
    return PassResult(decide=decided, deliver=delivered, waiting_retry=waiting)


def digest_pass(
    *,
    session: Session,
    settings: Settings,
    policy: ReminderPolicy,
    now: datetime,
    mailer: Mailer | None = None,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Queue this week's overseer digest (once per ISO week) and deliver what is due."""
    today = now.astimezone(settings.zone).date()
    queued = queue_overseer_digest(
        session=session, today=today, now=now, overseer_code=settings.overseer_code
    )
    delivered = deliver_pending(
        session=session, settings=settings, policy=policy, now=now, mailer=mailer, stop=stop
    )
    return {
        "queued": queued,
        "sent": delivered.sent,
        "written": delivered.written,
        "retry": delivered.retry,
        "failed": delivered.failed,
    }
