"""Yearly cycles: opening a year's steps in bulk, marking steps done or waived, and status."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select as orm_select

from models.calendar import RuleSet, StepRule, build_rule_set, with_default_requires
from models.step_facts import done_by_record, facts_for, record_done_by_record, why_not_for

# A step's status and its words live in models/step_status.py; these names stay importable here.
from models.step_status import (
    STATUS_DONE as STATUS_DONE,
    STATUS_LABELS as STATUS_LABELS,
    STATUS_OVERDUE as STATUS_OVERDUE,
    STATUS_PENDING as STATUS_PENDING,
    STATUS_WAIVED as STATUS_WAIVED,
    days_late as days_late,
    days_overdue as days_overdue,
    deadline_words as deadline_words,
    step_status as step_status,
)
from models.tables import (
    AGENCY,
    CYCLE,
    STEP,
    STEP_DONE,
    STEP_OPEN,
    STEP_WAIVED,
    Agency,
    Cycle,
    HistoryEntry,
    Step,
    utcnow,
)

EVIDENCE_FIELDS = ("state", "done_on", "ref", "note", "waive_reason")
# A step type that may not be completed before another step of its year (unless a reason is
# given). management_review is not one: QĐ 19/2014/QĐ-TTg Art. 4.4b asks for a review "at
# least once a year", and the seeds hold one before the audit (Sở Ngoại vụ: review 03/5/2021,
# audit 29/9/2021); models/iso/reviews.py records it with a warning instead.
PREREQUISITES: dict[str, str] = {}
# Steps that stand for a record (a corrective action and its effectiveness check): they follow
# the record (models/iso.py) and are never completed or waived by hand.
MANAGED_STEP_TYPES = ("corrective_action", "action_verification")
# The report-back after an inspection (models/iso/inspections.py): done by the agency's report.
RECORD_STEP_TYPE = "inspection_report"
# Report steps: done when the recipient records receipt (models/iso/reporting.py), never by the
# sender, from the CLI, a page, the API or a one-click link.
RECEIPT_STEP_TYPES = ("six_month_report", "annual_report", "ad_hoc_report")
# The year's corrective_actions step is done only when all of the agency's actions are.
ROLLUP_STEPS = {"corrective_actions": MANAGED_STEP_TYPES}


class StepError(ValueError):
    """A refused change to a step; the message says which field and why, in plain words."""


@dataclass
class OpenResult:
    """What opening (or re-opening) a year did; `changes` holds the first CHANGES_KEPT updates."""

    year: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_touched: int = 0
    # Untouched steps waived because the agency lacks the step they require (opened earlier).
    waived: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)


# Agencies per transaction when opening a year: about 9,000 steps, well under a second of write
# lock, so a web write waits at most one chunk instead of the whole province.
OPEN_CHUNK = 1000
# Changed steps listed in an OpenResult; `updated` counts them all.
CHANGES_KEPT = 500


def agency_exists_on(agency: Agency | Row[Any], day: date) -> bool:
    """True if the agency is in operation on that day (history is never rewritten)."""
    if agency.valid_from is not None and day < agency.valid_from:
        return False
    if agency.valid_to is not None:
        return day <= agency.valid_to
    return bool(agency.active)


def open_cycle(
    *,
    session: Session,
    year: int,
    rules: RuleSet,
    actor: str = "system",
    chunk_size: int = OPEN_CHUNK,
) -> OpenResult:
    """Create the year's steps for every agency the rules apply to, a chunk of agencies per commit.

    - An agency gets a step only if it exists on the step's nominal deadline, and only if it
      has the step it requires (calendar `requires`): a ward formed on 1/7 gets no review of
      objectives it never had to issue.
    - A step opened before that rule, never touched, whose required step the agency lacks is
      waived with the reason and a history entry (not deleted: reminders may point at it).
    - Running it again creates nothing; after a calendar change, steps nobody has touched take
      the new deadlines and titles, and touched steps are left alone and counted.
    - The year's calendar is stored first, so a run stopped midway is completed by running it
      again (a plain `cycle open` reuses that calendar).
    """
    result = OpenResult(year=year)
    now = utcnow()
    _store_calendar(session, year, rules, now)
    due_by_rule = {rule.key: rules.due_dates(rule, year) for rule in rules.steps}
    a = AGENCY.c
    after: uuid.UUID | None = None
    while True:
        # Keyset pagination by id: each chunk reads only its agencies and their steps.
        query = select(a.id, a.code, a.kind, a.active, a.valid_from, a.valid_to)
        if after is not None:
            query = query.where(a.id > after)
        agencies = session.execute(query.order_by(a.id).limit(chunk_size)).all()
        if not agencies:
            break
        after = agencies[-1].id
        _open_chunk(session, year, rules, agencies, due_by_rule, now, result, actor)
    if result.created or result.updated or result.waived:
        session.add(
            HistoryEntry(
                actor=actor,
                year=year,
                entity="cycle",
                entity_id=str(year),
                action="open",
                new={
                    "created": result.created,
                    "updated": result.updated,
                    "waived": result.waived,
                    "calendar": f"{rules.name} {rules.version}",
                },
            )
        )
        session.commit()
    return result


def _store_calendar(session: Session, year: int, rules: RuleSet, now: datetime) -> None:
    """Create the year's cycle row, or make it name this calendar; commit only if it changed."""
    calendar = dict(rules.data) or None
    cycle = session.exec(orm_select(Cycle).where(Cycle.year == year)).one_or_none()
    if cycle is None:
        session.add(
            Cycle(
                year=year,
                calendar_name=rules.name,
                calendar_version=rules.version,
                calendar=calendar,
            )
        )
    elif (cycle.calendar_name, cycle.calendar_version, cycle.calendar) != (
        rules.name,
        rules.version,
        calendar,
    ):
        cycle.calendar, cycle.calendar_name, cycle.calendar_version, cycle.updated_at = (
            calendar,
            rules.name,
            rules.version,
            now,
        )
    else:
        return
    session.commit()


def _open_chunk(
    session: Session,
    year: int,
    rules: RuleSet,
    agencies: Sequence[Row[Any]],
    due_by_rule: dict[str, tuple[date, date]],
    now: datetime,
    result: OpenResult,
    actor: str,
) -> None:
    """Create, update or waive the steps of these agencies (ordered by id) in one commit."""
    s = STEP.c
    # An IN list, not an id range: with a range SQLite's planner picks the (year, ...) index and
    # reads the whole year's steps for every chunk.
    existing = {
        (r.agency_id, r.key): r
        for r in session.execute(
            select(
                s.id,
                s.agency_id,
                s.key,
                s.title,
                s.legal_basis,
                s.nominal_due,
                s.due,
                s.state,
                s.touched_at,
            ).where(
                s.agency_id.in_([agency.id for agency in agencies]),
                s.year == year,
                s.key == s.step_type,
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    waives: list[tuple[Any, str]] = []
    facts = facts_for(session, agencies, year, rules)
    for agency in agencies:
        gets: dict[str, bool] = {}
        for rule in rules.steps:
            if agency.kind not in rule.kinds:
                continue
            nominal, due = due_by_rule[rule.key]
            if not agency_exists_on(agency, nominal):
                continue
            old = existing.get((agency.id, rule.key))
            why_not = why_not_for(rule, year, facts.get(agency.id))
            if why_not is None and not _gets(rule, agency, rules, due_by_rule, existing, gets):
                assert rule.requires is not None  # the only other reason not to get it
                title = rules.by_key[rule.requires].title
                why_not = f"Năm {year} đơn vị không có bước “{title}”, nên bước này không áp dụng."
            if why_not is not None:
                if old is not None and old.touched_at is None and old.state == STEP_OPEN:
                    waives.append((old, why_not))
                continue
            wanted = {
                "title": rule.title,
                "legal_basis": rule.legal_basis,
                "nominal_due": nominal,
                "due": due,
            }
            if old is None:
                inserts.append(
                    {
                        "id": uuid.uuid4(),
                        "agency_id": agency.id,
                        "year": year,
                        "key": rule.key,
                        "step_type": rule.key,
                        "state": STEP_OPEN,
                        "created_at": now,
                        **wanted,
                        **done_by_record(rule, year, facts.get(agency.id), actor, now),
                    }
                )
            elif all(getattr(old, k) == v for k, v in wanted.items()):
                result.unchanged += 1
            elif old.touched_at is not None:
                result.skipped_touched += 1
            else:
                updates.append({"b_id": old.id, **wanted})
                if len(result.changes) < CHANGES_KEPT:
                    result.changes.append(
                        {
                            "agency": agency.code,
                            "step": rule.key,
                            "old_due": old.due.isoformat(),
                            "new_due": due.isoformat(),
                            "old_title": old.title,
                            "new_title": rule.title,
                        }
                    )
    if not inserts and not updates and not waives:
        return
    if waives:
        _waive_opened(session, year, waives, actor, now)
        result.waived += len(waives)
    if inserts:
        session.execute(insert(Step), inserts)
        record_done_by_record(session, year, [i for i in inserts if i["state"] == STEP_DONE])
    if updates:
        session.connection().execute(
            update(STEP)
            .where(STEP.c.id == bindparam("b_id"))
            .values(
                title=bindparam("title"),
                legal_basis=bindparam("legal_basis"),
                nominal_due=bindparam("nominal_due"),
                due=bindparam("due"),
            ),
            updates,
        )
    session.commit()
    result.created += len(inserts)
    result.updated += len(updates)


def _gets(
    rule: StepRule,
    agency: Row[Any],
    rules: RuleSet,
    due_by_rule: dict[str, tuple[date, date]],
    existing: dict[tuple[Any, str], Row[Any]],
    memo: dict[str, bool],
) -> bool:
    """True if the agency has this step in the year: of its kinds, in operation on its deadline
    and with the step it requires (by the rules, or already opened for it)."""
    if rule.key not in memo:
        memo[rule.key] = False  # the calendar refuses circles; this only guards the recursion
        ok = agency.kind in rule.kinds and agency_exists_on(agency, due_by_rule[rule.key][0])
        if ok and rule.requires is not None:
            ok = (agency.id, rule.requires) in existing or _gets(
                rules.by_key[rule.requires], agency, rules, due_by_rule, existing, memo
            )
        memo[rule.key] = ok
    return memo[rule.key]


def _waive_opened(
    session: Session,
    year: int,
    waives: Sequence[tuple[Row[Any], str]],
    actor: str,
    now: datetime,
) -> None:
    """Waive untouched steps with their reason and a history entry each (committed by caller)."""
    session.connection().execute(
        update(STEP)
        .where(STEP.c.id == bindparam("b_id"), STEP.c.touched_at.is_(None))
        .values(
            state=STEP_WAIVED,
            waive_reason=bindparam("reason"),
            done_by=actor,
            done_at=now,
            touched_at=now,
        ),
        [{"b_id": old.id, "reason": reason} for old, reason in waives],
    )
    session.execute(
        insert(HistoryEntry),
        [
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor": actor,
                "agency_id": old.agency_id,
                "year": year,
                "entity": "step",
                "entity_id": old.key,
                "action": "waived",
                "old": {"state": old.state},
                "new": {"state": STEP_WAIVED, "waive_reason": reason},
            }
            for old, reason in waives
        ],
    )


def rules_for_year(*, session: Session, year: int, default: RuleSet) -> RuleSet:
    """The calendar a year was opened with (overrides included), or `default` for a new year.

    So the 2 January job, or a plain `cycle open`, never undoes a province's override. A
    calendar stored before steps could require one another takes the default's dependencies.
    """
    stored = session.execute(select(CYCLE.c.calendar).where(CYCLE.c.year == year)).scalar()
    if not stored:
        return default
    return build_rule_set(
        with_default_requires(stored, default), f"the calendar stored with cycle {year}"
    )


def find_step(*, session: Session, agency_code: str, year: int, key: str) -> Step:
    """Return the step, or raise StepError naming the unknown agency, year or step."""
    agency = session.exec(orm_select(Agency).where(Agency.code == agency_code)).one_or_none()
    if agency is None:
        raise StepError(f"unknown agency {agency_code!r}")
    step = session.exec(
        orm_select(Step).where(Step.agency_id == agency.id, Step.year == year, Step.key == key)
    ).one_or_none()
    if step is None:
        keys = (
            session.execute(
                select(STEP.c.key)
                .where(STEP.c.agency_id == agency.id, STEP.c.year == year)
                .order_by(STEP.c.due)
            )
            .scalars()
            .all()
        )
        if not keys:
            raise StepError(f"agency {agency_code!r} has no steps in {year}; open the cycle first")
        raise StepError(
            f"unknown step {key!r} for {agency_code} in {year}; known: {', '.join(keys)}"
        )
    return step


def _evidence(step: Step) -> dict[str, Any]:
    return {
        f: (v.isoformat() if isinstance(v, date) else v)
        for f in EVIDENCE_FIELDS
        if (v := getattr(step, f)) is not None
    }


def _record(
    session: Session,
    step: Step,
    actor: str,
    action: str,
    old: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    session.add(
        HistoryEntry(
            actor=actor,
            agency_id=step.agency_id,
            year=step.year,
            entity="step",
            entity_id=step.key,
            action=action,
            old=old,
            new={**_evidence(step), **(extra or {})},
        )
    )


# A step change decided on the step as read: (history action, extra history fields, new values).
Change = tuple[str, dict[str, Any] | None, dict[str, Any]]
# Tries to apply a change; the second already holds the step's lock (see _change_step).
CHANGE_TRIES = 3


def _change_step(
    session: Session,
    step: Step,
    actor: str,
    now: datetime | None,
    decide: Callable[[Step], Change | None],
) -> bool:
    """Apply `decide`'s change to the step as stored, with its history entry, in one commit;
    return False when `decide` finds nothing to change.

    - The UPDATE matches only the evidence `decide` saw. When a simultaneous edit stored
      something else first, the step is read again (locked) and decided anew, so of twenty
      simultaneous completions exactly one records "done" and the others an update of it.
    """
    now = now or utcnow()
    for _ in range(CHANGE_TRIES):
        change = decide(step)
        if change is None:
            return False
        action, extra, values = change
        old = _evidence(step)
        values = values | {"touched_at": now}
        swapped = session.execute(
            update(STEP)
            .where(
                STEP.c.id == step.id,
                *(STEP.c[f].is_not_distinct_from(getattr(step, f)) for f in EVIDENCE_FIELDS),
            )
            .values(**values)
        )
        if swapped.rowcount == 1:  # type: ignore[attr-defined]
            for name, value in values.items():
                set_committed_value(step, name, value)
            _record(session, step, actor, action, old, extra)
            session.commit()
            return True
        # Someone else changed the step since it was read. On SQLite this statement already
        # took the write lock; on PostgreSQL FOR UPDATE takes the row's. Either way the next
        # try cannot lose again.
        session.refresh(step, with_for_update=True)
    raise StepError(f"{step.key}: changed by someone else while saving; try again")


def _check_length(field_name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise StepError(f"{field_name}: longer than {limit} characters")


def check_by_hand(*, session: Session, step: Step, completing: bool = True) -> None:
    """Refuse to complete or waive by hand a step that follows a record, or a roll-up of them;
    a report step is never completed by hand (waiving it, an exemption, stays allowed)."""
    if step.step_type in MANAGED_STEP_TYPES:
        raise StepError(
            f"{step.key} follows its corrective action: record it with `isocycle actions done` "
            "or `isocycle actions verify` (or on the audits page), not by hand"
        )
    if step.step_type == RECORD_STEP_TYPE:
        raise StepError(
            f"{step.key} follows the inspection's biên bản: it is done when the agency records "
            "its report with `isocycle inspections report` (or on the inspections page), not by "
            "hand"
        )
    if completing and step.step_type in RECEIPT_STEP_TYPES:
        raise StepError(
            f"«{step.title}» không thể tự đánh dấu hoàn thành: báo cáo được tính là đã gửi khi "
            "đơn vị nhận ghi nhận đã nhận được. Hãy gửi báo cáo (trang Báo cáo hoặc "
            "`isocycle reports submit`); đơn vị nhận sẽ ghi nhận ngày nhận."
        )
    parts = ROLLUP_STEPS.get(step.step_type)
    if parts is None:
        return
    open_parts = session.execute(
        select(func.count())
        .select_from(STEP)
        .where(
            STEP.c.agency_id == step.agency_id,
            STEP.c.year == step.year,
            STEP.c.step_type.in_(parts),
            STEP.c.state == STEP_OPEN,
        )
    ).scalar_one()
    if open_parts:
        raise StepError(
            f"{step.key}: {open_parts} corrective-action step(s) of {step.year} are still open; "
            "it is done when every action is done and verified"
        )


def year_is_open(*, session: Session, year: int) -> bool:
    """True if the year's cycle has been opened."""
    return session.execute(select(CYCLE.c.id).where(CYCLE.c.year == year)).first() is not None


def earliest_done(*, session: Session, step: Step) -> date:
    """The first completion date accepted for a step, from the calendar its year was opened with."""
    stored = session.execute(select(CYCLE.c.calendar).where(CYCLE.c.year == step.year)).scalar()
    rule = build_rule_set(stored, f"cycle {step.year}").by_key.get(step.key) if stored else None
    return rule.earliest_done(step.year) if rule else date(step.year, 1, 1)


def check_done_date(
    *,
    session: Session,
    step: Step,
    done_on: date,
    today: date,
    override_reason: str | None = None,
) -> None:
    """Refuse a completion date in the future, before the step's earliest date, or before a
    prerequisite.

    - The earliest date is 1 January of the cycle year, or what the year's calendar sets as the
      step's `earliest_done` (a plan issued in December for next year).
    - An explicit override reason lifts the prerequisite rule only (the seeds show a review held
      months before the audit); the reason goes into the history.
    """
    check_by_hand(session=session, step=step)
    if done_on > today:
        raise StepError(f"done_on {done_on:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})")
    if done_on.year < step.year:  # no step's earliest date is after 1 January of its year
        earliest = earliest_done(session=session, step=step)
        if done_on < earliest:
            raise StepError(
                f"done_on {done_on:%d/%m/%Y} is before {earliest:%d/%m/%Y}, the earliest "
                f"completion date accepted for {step.key} of {step.year}"
            )
    required = PREREQUISITES.get(step.step_type)
    if required is None or (override_reason or "").strip():
        return
    before = session.exec(
        orm_select(Step).where(
            Step.agency_id == step.agency_id, Step.year == step.year, Step.key == required
        )
    ).one_or_none()
    if before is None or before.state != STEP_DONE or before.done_on is None:
        raise StepError(
            f"{step.key} needs {required} done first in {step.year} "
            "(give an override reason to record it anyway)"
        )
    if done_on < before.done_on:
        raise StepError(
            f"{step.key} dated {done_on:%d/%m/%Y} is before {required} "
            f"(done {before.done_on:%d/%m/%Y}); the review must follow the audit "
            "(give an override reason to record it anyway)"
        )


def mark_done(
    *,
    session: Session,
    step: Step,
    done_on: date,
    ref: str,
    note: str | None,
    actor: str,
    today: date,
    now: datetime | None = None,
    check: bool = True,
    override_reason: str | None = None,
    keep_first: bool = False,
    replaces: tuple[date, str] | None = None,
    only_if_open: bool = False,
) -> bool:
    """Record a step's completion and its evidence; return False if nothing changed.

    - Marking again with the same data changes nothing; with different data it updates the step
      and keeps the old values in the history.
    - Refuses (StepError) a date in the future, before the step's earliest date (see
      check_done_date), or before a prerequisite (unless `override_reason` is given, which is
      then kept in the history).
    - `keep_first` leaves a done step as it is, unless it still shows exactly `replaces`
      (see complete_from_record); it is decided on the step as stored, not as read.
    - `only_if_open` changes nothing unless the step as stored is still open: a one-click link
      may complete a step, never rewrite the evidence of one that someone completed meanwhile.
    """
    ref = ref.strip()
    if not ref:
        raise StepError("ref: the document number (số ký hiệu) is required as evidence")
    _check_length("ref", ref, 200)
    _check_length("note", note, 2000)
    override_reason = (override_reason or "").strip() or None
    if check:
        check_done_date(
            session=session,
            step=step,
            done_on=done_on,
            today=today,
            override_reason=override_reason,
        )
    note = (note or "").strip() or None
    now = now or utcnow()
    values: dict[str, Any] = {"state": STEP_DONE, "done_on": done_on, "ref": ref, "note": note}
    values |= {"waive_reason": None, "done_by": actor, "done_at": now}
    extra = {"override_reason": override_reason} if override_reason else None

    def decide(current: Step) -> Change | None:
        if only_if_open and current.state != STEP_OPEN:
            return None
        if current.state == STEP_DONE:
            if keep_first and (replaces is None or (current.done_on, current.ref) != replaces):
                return None
            if (current.done_on, current.ref, current.note) == (done_on, ref, note):
                return None
        return ("done_updated" if current.done_on else "done", extra, values)

    return _change_step(session, step, actor, now, decide)


def complete_from_record(
    *,
    session: Session,
    step: Step,
    done_on: date,
    ref: str,
    actor: str,
    today: date,
    note: str | None = None,
    replaces: tuple[date, str] | None = None,
    override_reason: str | None = None,
    check: bool = True,
) -> bool:
    """Complete a step from a record (audit, decision, review...); return False if unchanged.

    - A step already done keeps its first completion: a later record (a second audit, a new
      action, results entered again) never moves its date, so an on-time step never turns late.
    - Only a correction of the record that completed it moves it: `replaces` is that record's
      old (date, document number), and the step changes only if it still shows exactly those.
    """
    if step.state == STEP_DONE and (replaces is None or (step.done_on, step.ref) != replaces):
        return False
    return mark_done(
        session=session,
        step=step,
        done_on=done_on,
        ref=ref,
        note=note,
        actor=actor,
        today=today,
        check=check,
        override_reason=override_reason,
        keep_first=True,
        replaces=replaces,
    )


def reopen(
    *, session: Session, step: Step, reason: str, actor: str, now: datetime | None = None
) -> bool:
    """Put a done or waived step back to open, with a reason; return False if it was open."""
    values = dict.fromkeys(("done_on", "ref", "note", "waive_reason", "done_by", "done_at"))

    def decide(current: Step) -> Change | None:
        if current.state == STEP_OPEN:
            return None
        return ("reopened", {"reason": reason}, values | {"state": STEP_OPEN})

    return _change_step(session, step, actor, now, decide)


def waive(
    *, session: Session, step: Step, reason: str, actor: str, now: datetime | None = None
) -> bool:
    """Mark a step as not applicable, with a reason; return False if it already was, so."""
    reason = reason.strip()
    if not reason:
        raise StepError("reason: say why the step does not apply")
    _check_length("reason", reason, 2000)
    check_by_hand(session=session, step=step, completing=False)
    now = now or utcnow()
    values: dict[str, Any] = {"state": STEP_WAIVED, "done_on": None, "ref": None, "note": None}
    values |= {"waive_reason": reason, "done_by": actor, "done_at": now}

    def decide(current: Step) -> Change | None:
        if current.state == STEP_WAIVED and current.waive_reason == reason:
            return None
        return ("waived", None, values)

    return _change_step(session, step, actor, now, decide)


def status_rows(
    *,
    session: Session,
    year: int,
    today: date,
    agency_ids: Iterable[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """Return one plain dict per step of the year, ordered by agency code and due date.

    Fields: agency, agency_name, agency_kind, step, title, nominal_due, due, status, done_on,
    ref, note, days_overdue, days_late (dates as `date`).
    """
    a, s = AGENCY.c, STEP.c
    query = (
        select(
            a.code,
            a.name,
            a.kind,
            s.key,
            s.title,
            s.nominal_due,
            s.due,
            s.state,
            s.done_on,
            s.ref,
            s.note,
            s.step_type,
        )
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .where(s.year == year)
        .order_by(a.code, s.due, s.key)
    )
    if agency_ids is not None:
        query = query.where(s.agency_id.in_(list(agency_ids)))
    out = []
    for r in session.execute(query):
        out.append(
            {
                "agency": r.code,
                "agency_name": r.name,
                "agency_kind": r.kind,
                "step": r.key,
                "step_type": r.step_type,
                "title": r.title,
                "nominal_due": r.nominal_due,
                "due": r.due,
                "status": step_status(r.state, r.due, today),
                "done_on": r.done_on,
                "ref": r.ref,
                "note": r.note,
                "days_overdue": days_overdue(r.state, r.due, today),
                "days_late": days_late(r.state, r.due, r.done_on),
            }
        )
    return out


def history(
    *, session: Session, agency_id: uuid.UUID, year: int | None = None
) -> Sequence[HistoryEntry]:
    """Return the agency's change history, oldest first."""
    query = orm_select(HistoryEntry).where(HistoryEntry.agency_id == agency_id)
    if year is not None:
        query = query.where(HistoryEntry.year == year)
    return session.exec(query.order_by(col(HistoryEntry.at))).all()
