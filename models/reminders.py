"""Reminder rules and the outbox: which stage a step is in, the ledger, and the outbox tables.

Deciding writes `Reminder` rows (the ledger, unique per step, stage and deadline) and groups the
new ones by recipient into `Delivery` rows (the outbox), in one transaction. Sending happens in
notifications/outbox.py, which claims deliveries and records each attempt through
models/claims.py.
"""

from __future__ import annotations

import os
import socket
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Column, Field, Session, SQLModel

from config.settings import DEFAULT_REMINDER_POLICY
from models.calendar import WorkingCalendar
from models.cycles import agency_exists_on
from models.overdue import overdue_steps
from models.tables import AGENCY, STEP, STEP_OPEN, instant, table_of, utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
# Every step of the delivery was done, waived or re-dated before it could be sent.
CANCELLED = "cancelled"
DELIVERY_STATUSES = (PENDING, SENDING, SENT, RETRY, FAILED, CANCELLED)
# How a sent delivery left: over an SMTP server, or written to an .eml file in the outbox folder
# (no SMTP server configured), which nobody receives until someone sends it on.
TRANSPORT_SMTP = "smtp"
TRANSPORT_FILE = "file"

KIND_REMINDER = "reminder"
KIND_DIGEST = "digest"
ROLE_SECRETARY = "secretary"
ROLE_ASSIGNEE = "assignee"
ROLE_OVERSEER = "overseer"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class PolicyError(ValueError):
    """A reminder policy file that cannot be used; the message names the file and field."""


# ---------------------------------------------------------------------------------------------
# The policy and the pure stage rule


@dataclass(frozen=True)
class ReminderPolicy:
    """When to remind, how to retry, and how much to send per SMTP connection."""

    before_days: tuple[int, ...] = (7, 1)
    on_due: bool = True
    overdue_first: int = 1
    overdue_every: int = 3
    escalate_from: int = 5
    digest_weekday: int = 0
    retry_minutes: tuple[int, ...] = (10, 30, 120, 360, 1440)
    max_attempts: int = 8
    # A fraction is allowed (0.05 = 3 s), for tests and for operators who want a short one.
    claim_timeout_minutes: float = 15
    batch_size: int = 200

    @property
    def horizon_days(self) -> int:
        """How many days ahead of a deadline the first reminder can fall."""
        return max(self.before_days, default=0)

    @property
    def claim_timeout(self) -> timedelta:
        """How long a claim stays valid without being renewed."""
        return timedelta(minutes=self.claim_timeout_minutes)

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the attempts-th failed attempt (1-based), capped at the last value."""
        minutes = self.retry_minutes[min(max(attempts, 1), len(self.retry_minutes)) - 1]
        return timedelta(minutes=minutes)


def _positive_int(value: object, where: str, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise PolicyError(f"{where}: must be a whole number >= {minimum}, got {value!r}")
    return value


def _positive_minutes(value: object, where: str) -> float:
    # A fraction is fine (0.05 is 3 s); zero, NaN and infinity are not.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        raise PolicyError(
            f"{where}: must be a number of minutes > 0 (e.g. 15 or 0.5), got {value!r}"
        )
    return float(value)


def build_policy(data: Mapping[str, Any], source: str = "policy") -> ReminderPolicy:
    """Validate a policy mapping and return the ReminderPolicy; errors name the field."""
    overdue = data.get("overdue", {})
    digest = data.get("digest", {})
    delivery = data.get("delivery", {})
    before = data.get("before_days", [7, 1])
    if not isinstance(before, list):
        raise PolicyError(f"{source}: before_days must be a list of day counts")
    before_days = tuple(
        sorted(
            {_positive_int(d, f"{source}: before_days") for d in before},
            reverse=True,
        )
    )
    weekday = str(digest.get("weekday", "monday")).lower()
    if weekday not in WEEKDAYS:
        raise PolicyError(f"{source}: digest.weekday must be one of {', '.join(WEEKDAYS)}")
    retry = delivery.get("retry_minutes", [10, 30, 120, 360, 1440])
    if not isinstance(retry, list) or not retry:
        raise PolicyError(f"{source}: delivery.retry_minutes must be a non-empty list")
    return ReminderPolicy(
        before_days=before_days,
        on_due=bool(data.get("on_due", True)),
        overdue_first=_positive_int(
            overdue.get("first_working_day", 1), f"{source}: overdue.first_working_day"
        ),
        overdue_every=_positive_int(
            overdue.get("every_working_days", 3), f"{source}: overdue.every_working_days"
        ),
        escalate_from=_positive_int(
            overdue.get("escalate_from_working_day", 5),
            f"{source}: overdue.escalate_from_working_day",
        ),
        digest_weekday=WEEKDAYS.index(weekday),
        retry_minutes=tuple(_positive_int(m, f"{source}: delivery.retry_minutes") for m in retry),
        max_attempts=_positive_int(
            delivery.get("max_attempts", 8), f"{source}: delivery.max_attempts"
        ),
        claim_timeout_minutes=_positive_minutes(
            delivery.get("claim_timeout_minutes", 15), f"{source}: delivery.claim_timeout_minutes"
        ),
        batch_size=_positive_int(delivery.get("batch_size", 200), f"{source}: delivery.batch_size"),
    )


def load_policy(path: Path = DEFAULT_REMINDER_POLICY) -> ReminderPolicy:
    """Read the reminder policy TOML file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: no such reminder policy file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from exc
    return build_policy(data, str(path))


@dataclass(frozen=True)
class Stage:
    """Where a step stands today: before_N, due, or overdue_W (W working days overdue)."""

    name: str
    escalated: bool = False


def current_stage(
    due: date, today: date, policy: ReminderPolicy, working: WorkingCalendar
) -> Stage | None:
    """Return the reminder stage the deadline is in today, or None if nothing is due yet.

    - Before the deadline: before_N for the smallest N in before_days with days left <= N.
    - On the deadline, and on days off right after it: due.
    - Overdue: overdue_W where W is the latest trigger reached, the triggers being the
      first working day after the deadline, every overdue_every working days after that, and
      the escalation day; from the escalation day on the head is copied.
    Only the CURRENT stage is ever returned, so a pass after downtime catches up with one mail.
    """
    if today < due:
        left = (due - today).days
        reached = [n for n in policy.before_days if left <= n]
        return Stage(f"before_{min(reached)}") if reached else None
    worked = working.working_days_between(due, today)
    if worked < policy.overdue_first:
        return Stage("due") if policy.on_due else None
    trigger = (
        policy.overdue_first
        + (worked - policy.overdue_first) // policy.overdue_every * policy.overdue_every
    )
    if trigger < policy.escalate_from <= worked:
        trigger = policy.escalate_from
    return Stage(f"overdue_{trigger}", escalated=trigger >= policy.escalate_from)


# ---------------------------------------------------------------------------------------------
# Tables


# The ledger: one row per reminder decided, keyed on the step, the stage and the deadline it was
# computed against, so a moved deadline gets fresh reminders and a re-run never a second copy.
class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("step_id", "stage", "due", name="uq_reminder_step_stage_due"),
        Index("ix_reminder_pass_id", "pass_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    step_id: uuid.UUID = Field(foreign_key="step.id")
    stage: str = Field(max_length=32)
    due: date
    escalated: bool = False
    decided_on: date
    # The pass that inserted it: lets a pass find exactly the rows it won against a rival pass.
    pass_id: uuid.UUID
    decided_at: datetime = instant(default_factory=utcnow)


# The outbox: one mail to one recipient (a digest of that recipient's reminders).
class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
        Index("ix_delivery_claimed_by", "claimed_by"),
        # `isocycle outbox` lists newest first.
        Index("ix_delivery_created_at", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Unique per pass and recipient (reminders) or per week and recipient (overseer digest).
    key: str = Field(max_length=400, unique=True)
    kind: str = Field(max_length=16)
    role: str = Field(max_length=16)
    to_addr: str = Field(max_length=254)
    to_name: str | None = Field(default=None, max_length=200)
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The local day it was decided on; the digest's rows are a snapshot of that day.
    as_of: date
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    next_attempt_at: datetime = instant(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = instant(default=None)
    sent_at: datetime | None = instant(default=None)
    # TRANSPORT_SMTP or TRANSPORT_FILE once sent; None before (or sent before it was recorded).
    transport: str | None = Field(default=None, max_length=16)
    created_at: datetime = instant(default_factory=utcnow)


# Which reminders a delivery carries (a step's reminder can go to the secretary and an assignee).
class DeliveryItem(SQLModel, table=True):
    __tablename__ = "delivery_item"

    delivery_id: uuid.UUID = Field(foreign_key="delivery.id", primary_key=True)
    reminder_id: uuid.UUID = Field(foreign_key="reminder.id", primary_key=True, index=True)


# One row per send attempt: when, by which worker, and what the SMTP server said.
class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempt"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="delivery.id", index=True)
    at: datetime = instant(default_factory=utcnow)
    worker: str = Field(max_length=200)
    outcome: str = Field(max_length=16)
    error: str | None = Field(default=None, max_length=2000)


REMINDER = table_of(Reminder)
DELIVERY = table_of(Delivery)
DELIVERY_ITEM = table_of(DeliveryItem)
DELIVERY_ATTEMPT = table_of(DeliveryAttempt)


# ---------------------------------------------------------------------------------------------
# Deciding


@dataclass
class DecideResult:
    """What one deciding pass did."""

    considered: int = 0
    decided: int = 0
    already_decided: int = 0
    deliveries: int = 0
    # Steps in a stage whose agency has no e-mail address at all: reported, never silent.
    no_recipient: list[str] = field(default_factory=list)


def _insert_ignoring_duplicates(
    conn: Connection, table: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """INSERT rows, skipping those that clash on `keys` (race-safe on SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)


def _norm(addr: str | None) -> str | None:
    addr = (addr or "").strip()
    return addr.lower() if addr else None


def worker_id() -> str:
    """Identify this process in claims and attempt rows."""
    return f"{socket.gethostname()}:{os.getpid()}"


def decide_reminders(
    *,
    session: Session,
    today: date,
    now: datetime,
    policy: ReminderPolicy,
    working: WorkingCalendar,
) -> DecideResult:
    """Record today's reminders in the ledger and queue one delivery per recipient; one commit.

    - One query over open steps joined with their agencies; done or waived steps are never
      reminded, nor agencies not in operation today.
    - A reminder already in the ledger (same step, stage and deadline) is skipped, also when a
      rival pass inserts it at the same moment (INSERT ... ON CONFLICT DO NOTHING).
    - Recipients: the secretary (To; the head if there is no secretary), the head in Cc when
      escalated, and the step's assignee in a mail of their own.
    """
    result = DecideResult()
    a, s = AGENCY.c, STEP.c
    rows = session.execute(
        select(
            s.id,
            s.due,
            s.assignee_name,
            s.assignee_email,
            a.id.label("agency_id"),
            a.code,
            a.active,
            a.valid_from,
            a.valid_to,
            a.secretary_name,
            a.secretary_email,
            a.head_name,
            a.head_email,
        )
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .where(s.state == STEP_OPEN, s.due <= today + timedelta(days=policy.horizon_days))
    ).all()
    stages: dict[date, Stage | None] = {}
    pass_id = uuid.uuid4()
    candidates: list[dict[str, Any]] = []
    by_step: dict[uuid.UUID, Any] = {}
    for r in rows:
        if r.due not in stages:
            stages[r.due] = current_stage(r.due, today, policy, working)
        stage = stages[r.due]
        if stage is None or not agency_exists_on(r, today):
            continue
        result.considered += 1
        if not (r.secretary_email or r.assignee_email or (stage.escalated and r.head_email)):
            result.no_recipient.append(r.code)
            continue
        by_step[r.id] = r
        candidates.append(
            {
                "id": uuid.uuid4(),
                "step_id": r.id,
                "stage": stage.name,
                "due": r.due,
                "escalated": stage.escalated,
                "decided_on": today,
                "pass_id": pass_id,
                "decided_at": now,
            }
        )
    conn = session.connection()
    _insert_ignoring_duplicates(conn, REMINDER, candidates, ("step_id", "stage", "due"))
    won = conn.execute(
        select(REMINDER.c.id, REMINDER.c.step_id, REMINDER.c.escalated).where(
            REMINDER.c.pass_id == pass_id
        )
    ).all()
    result.decided = len(won)
    result.already_decided = len(candidates) - len(won)

    # Group what this pass won by recipient: one delivery per address.
    @dataclass
    class Box:
        role: str
        name: str | None
        cc: set[str] = field(default_factory=set)
        reminders: list[uuid.UUID] = field(default_factory=list)

    boxes: dict[str, Box] = {}

    def add(addr: str, role: str, name: str | None, reminder_id: uuid.UUID) -> Box:
        box = boxes.setdefault(addr, Box(role=role, name=name))
        box.reminders.append(reminder_id)
        return box

    for rem in won:
        r = by_step[rem.step_id]
        secretary, head, assignee = (
            _norm(r.secretary_email),
            _norm(r.head_email),
            _norm(r.assignee_email),
        )
        to = secretary or (head if rem.escalated else None)
        if to is not None:
            box = add(to, ROLE_SECRETARY, r.secretary_name if secretary else r.head_name, rem.id)
            if rem.escalated and head and head != to:
                box.cc.add(head)
        if assignee and assignee != to:
            add(assignee, ROLE_ASSIGNEE, r.assignee_name, rem.id)
    deliveries: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for addr, box in boxes.items():
        delivery_id = uuid.uuid4()
        deliveries.append(
            {
                "id": delivery_id,
                "key": f"{KIND_REMINDER}:{pass_id}:{addr}",
                "kind": KIND_REMINDER,
                "role": box.role,
                "to_addr": addr,
                "to_name": box.name,
                "cc": sorted(box.cc - {addr}),
                "as_of": today,
                "payload": None,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
        items.extend({"delivery_id": delivery_id, "reminder_id": rid} for rid in box.reminders)
    if deliveries:
        conn.execute(insert(DELIVERY), deliveries)
        conn.execute(insert(DELIVERY_ITEM), items)
    session.commit()
    result.deliveries = len(deliveries)
    return result


def queue_overseer_digest(
    *,
    session: Session,
    today: date,
    now: datetime,
    overseer_code: str,
) -> int:
    """Queue this ISO week's digest of every overdue step for the overseer; return 0 or 1.

    The key is the ISO week and address, so running it again (or on a later day of the same
    week, to catch up a missed Monday) queues nothing more. Steps are counted as every view
    counts them (models/overdue.py) and grouped by year, newest first, then by parent agency;
    the payload names the years it covers: this year, and every year with an overdue step.
    """
    a = AGENCY.c
    overseer = session.execute(
        select(a.secretary_email, a.secretary_name, a.head_email, a.head_name).where(
            a.code == overseer_code
        )
    ).one_or_none()
    if overseer is None:
        raise ValueError(f"overseer_code: no agency with code {overseer_code!r}")
    to = _norm(overseer.secretary_email) or _norm(overseer.head_email)
    if to is None:
        raise ValueError(f"overseer {overseer_code}: has neither a secretary nor a head e-mail")
    steps = overdue_steps(session=session, today=today)
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for st in steps:
        group = groups.setdefault(
            (st.year, st.parent_code or ""),
            {
                "year": st.year,
                "parent_code": st.parent_code,
                "parent_name": st.parent_name,
                "rows": [],
            },
        )
        group["rows"].append(
            {
                "code": st.code,
                "name": st.name,
                "key": st.key,
                "title": st.title,
                "year": st.year,
                "due": st.due.isoformat(),
                "days_overdue": st.days_overdue,
            }
        )
    years = sorted({today.year} | {st.year for st in steps}, reverse=True)
    iso = today.isocalendar()
    cc = _norm(overseer.head_email)
    digest_id = uuid.uuid4()
    _insert_ignoring_duplicates(
        session.connection(),
        DELIVERY,
        [
            {
                "id": digest_id,
                "key": f"{KIND_DIGEST}:{iso.year}-W{iso.week:02d}:{to}",
                "kind": KIND_DIGEST,
                "role": ROLE_OVERSEER,
                "to_addr": to,
                "to_name": overseer.secretary_name or overseer.head_name,
                "cc": [cc] if cc and cc != to else [],
                "as_of": today,
                "payload": {"years": years, "groups": list(groups.values())},
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
        ("key",),
    )
    queued = session.execute(
        select(func.count()).select_from(DELIVERY).where(DELIVERY.c.id == digest_id)
    ).scalar_one()
    session.commit()
    return int(queued)


# ---------------------------------------------------------------------------------------------
# The outbox: attempt outcomes and listings (claiming and recording are in models/claims.py)


@dataclass(frozen=True)
class Outcome:
    """The result of one send attempt: sent, retry (temporary) or failed (permanent)."""

    status: str
    error: str | None = None


def outbox_rows(
    *, session: Session, failed_only: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    """Return deliveries, newest first: recipient, kind, status, attempts, last error, times."""
    d = DELIVERY.c
    query = select(
        d.id,
        d.kind,
        d.role,
        d.to_addr,
        d.cc,
        d.as_of,
        d.status,
        d.attempts,
        d.last_error,
        d.next_attempt_at,
        d.sent_at,
        d.transport,
        d.created_at,
        select(func.count())
        .select_from(DELIVERY_ITEM)
        .where(DELIVERY_ITEM.c.delivery_id == d.id)
        .scalar_subquery()
        .label("items"),
    ).order_by(d.created_at.desc(), d.to_addr)
    if failed_only:
        query = query.where(d.status == FAILED)
    return [dict(r._mapping) for r in session.execute(query.limit(limit))]


def outbox_counts(*, session: Session) -> dict[str, int]:
    """Return how many deliveries are in each status."""
    d = DELIVERY.c
    counts = dict(session.execute(select(d.status, func.count()).group_by(d.status)).tuples().all())
    return {status: int(counts.get(status, 0)) for status in DELIVERY_STATUSES}


# ---------------------------------------------------------------------------------------------
# The log an agency's page shows


def agency_log(*, session: Session, agency_id: uuid.UUID, limit: int = 300) -> list[dict[str, Any]]:
    """Return the agency's reminders, newest first, each with the mail that carried it.

    A reminder sent to the secretary and to an assignee appears once per mail. Fields: decided_on,
    stage, escalated, due, step key and title, and the delivery's recipient, status, attempts,
    last error, sent_at and transport (None for a reminder whose mail is not yet queued).
    """
    r, s, i, d = REMINDER.c, STEP.c, DELIVERY_ITEM.c, DELIVERY.c
    rows = session.execute(
        select(
            r.decided_on,
            r.decided_at,
            r.stage,
            r.escalated,
            r.due,
            s.key,
            s.title,
            s.year,
            d.id.label("delivery_id"),
            d.to_addr,
            d.role,
            d.status,
            d.attempts,
            d.last_error,
            d.sent_at,
            d.transport,
        )
        .join_from(REMINDER, STEP, s.id == r.step_id)
        .outerjoin(DELIVERY_ITEM, i.reminder_id == r.id)
        .outerjoin(DELIVERY, d.id == i.delivery_id)
        .where(s.agency_id == agency_id)
        .order_by(r.decided_at.desc(), s.due, s.key)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def outbox_backlog(*, session: Session, now: datetime) -> dict[str, Any]:
    """What waits in the outbox: how many mails, the oldest one's age, and failed mails."""
    d = DELIVERY.c
    waiting = d.status.in_((PENDING, RETRY, SENDING))
    count, oldest = session.execute(
        select(func.count(), func.min(d.created_at)).where(waiting)
    ).one()
    if isinstance(oldest, str):  # SQLite hands an aggregate back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    overdue = session.execute(
        select(func.count()).where(waiting, d.next_attempt_at <= now)
    ).scalar_one()
    failed = session.execute(select(func.count()).where(d.status == FAILED)).scalar_one()
    return {
        "waiting": int(count),
        "due_now": int(overdue),
        "oldest_created_at": oldest,
        "failed": int(failed),
    }
