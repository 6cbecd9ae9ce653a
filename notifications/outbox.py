"""One reminder pass: decide today's reminders, then claim, render and send queued deliveries."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from config.settings import Settings
from models.calendar import WorkingCalendar
from models.reminders import (
    CANCELLED,
    FAILED,
    KIND_DIGEST,
    RETRY,
    SENT,
    ClaimedDelivery,
    DecideResult,
    Outcome,
    ReminderPolicy,
    claim_batch,
    decide_reminders,
    outbox_counts,
    queue_overseer_digest,
    record_outcome,
    still_due,
    worker_id,
)
from notifications.email_transport import Mailer, TransportDown, make_mailer
from notifications.messages import EmailMessage, render_digest, render_reminder

log = logging.getLogger(__name__)
NOTHING_LEFT = "every step was done, waived or re-dated before sending"


@dataclass
class DeliverResult:
    """What one delivery run did, counted per delivery (one e-mail each)."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
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


def deliver_pending(
    *,
    session: Session,
    settings: Settings,
    policy: ReminderPolicy,
    now: datetime,
    mailer: Mailer | None = None,
    stop: threading.Event | None = None,  # TEMP until i8-delivery lands
) -> DeliverResult:
    """Claim due deliveries batch by batch and send each batch over one connection.

    - Every attempt is recorded (status, attempts, last error, next attempt) as soon as it ends.
    - If the server cannot be reached, the whole batch is put back for a later pass and the run
      stops; nothing is dropped.
    """
    mailer = mailer or make_mailer(settings)
    result = DeliverResult()
    base = worker_id()

    def record(d: ClaimedDelivery, outcome: Outcome, token: str) -> None:
        status = record_outcome(
            session=session, delivery=d, outcome=outcome, now=now, policy=policy, token=token
        )
        if status == SENT:
            result.sent += 1
        elif status == RETRY:
            result.retry += 1
        elif status == FAILED:
            result.failed += 1
            result.errors.append(f"{d.to_addr}: {outcome.error}")
        elif status == CANCELLED:
            result.cancelled += 1

    while True:
        token = f"{base}:{uuid.uuid4().hex[:12]}"
        batch = claim_batch(session=session, now=now, policy=policy, token=token)
        if not batch:
            return result
        todo = list(batch)
        try:
            with mailer.connect() as conn:
                while todo:
                    d = todo[0]
                    try:
                        message = _message(d, now=now, settings=settings, policy=policy)
                    except Exception as exc:
                        # One delivery that cannot be rendered must not block the others on
                        # every pass: it is failed, visibly, with the reason.
                        log.exception("cannot render delivery %s", d.id)
                        record(d, Outcome(FAILED, f"cannot render: {exc!r}"), token)
                        todo.pop(0)
                        continue
                    if message is None:
                        record(
                            d, Outcome(CANCELLED, "every step was done, waived or re-dated"), token
                        )
                    else:
                        record(d, conn.send(message), token)
                    todo.pop(0)
        except TransportDown as exc:
            log.warning("SMTP unavailable, %d deliveries wait for a later pass: %s", len(todo), exc)
            for d in todo:
                record(d, Outcome(RETRY, str(exc)), token)
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
    """Decide today's reminders (local date of `now`) and deliver everything that is due."""
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
) -> dict[str, int]:
    """Queue this week's overseer digest (once per ISO week) and deliver what is due."""
    today = now.astimezone(settings.zone).date()
    queued = queue_overseer_digest(
        session=session, today=today, now=now, overseer_code=settings.overseer_code
    )
    delivered = deliver_pending(
        session=session, settings=settings, policy=policy, now=now, mailer=mailer
    )
    return {
        "queued": queued,
        "sent": delivered.sent,
        "retry": delivered.retry,
        "failed": delivered.failed,
    }
