"""What an agency's records decide about its steps when a year is opened: its QMS mode (build or
maintain), a steering committee on record, and steps that a record already answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert
from sqlmodel import Session

from models.calendar import MODES, RuleSet, StepRule
from models.tables import STEP_DONE, STEP_OPEN, HistoryEntry


def facts_for(
    session: Session, agencies: Sequence[Row[Any]], year: int, rules: RuleSet
) -> dict[Any, Any]:
    """Each agency's QMS mode and committee decisions, when a step of the calendar asks."""
    if all(r.modes == frozenset(MODES) and r.unless_on_record is None for r in rules.steps):
        return {}
    from models.iso.profile import (
        cycle_facts,  # models.iso builds on models.cycles, which needs this
    )

    return cycle_facts(session=session, agencies=agencies, year=year, rules=rules)


def why_not_for(rule: StepRule, year: int, facts: Any) -> str | None:
    """Why the agency's QMS mode or records leave this step out of its year; None if they don't."""
    if facts is None:
        return None
    if facts.mode not in rule.modes:
        doing = {"build": "xây dựng mới", "maintain": "duy trì, cải tiến"}[facts.mode]
        return f"Năm {year} đơn vị {doing} HTQLCL, nên bước này không áp dụng."
    if rule.unless_on_record == "steering_committee" and facts.has_committee_before(
        rule.earliest_done(year)
    ):
        return "Đơn vị đã có quyết định thành lập Ban chỉ đạo ISO, nên bước này không áp dụng."
    return None


def done_by_record(
    rule: StepRule, year: int, facts: Any, actor: str, now: datetime
) -> dict[str, Any]:
    """A new step that a record already answers is created done with it: a committee decision
    issued within the step's window (from its earliest date to the end of its year)."""
    if facts is None or rule.unless_on_record != "steering_committee":
        return {}
    found = facts.committee_between(rule.earliest_done(year), date(year, 12, 31))
    if found is None:
        return {}
    done_on, ref = found
    return {
        "state": STEP_DONE,
        "done_on": done_on,
        "ref": ref,
        "done_by": actor,
        "done_at": now,
        "touched_at": now,
    }


def record_done_by_record(session: Session, year: int, done: list[dict[str, Any]]) -> None:
    """The history entry of each step created done by its record (committed by the caller)."""
    if not done:
        return
    session.execute(
        insert(HistoryEntry),
        [
            {
                "id": uuid.uuid4(),
                "at": row["done_at"],
                "actor": row["done_by"],
                "agency_id": row["agency_id"],
                "year": year,
                "entity": "step",
                "entity_id": row["key"],
                "action": "done",
                "old": {"state": STEP_OPEN},
                "new": {
                    "state": STEP_DONE,
                    "done_on": row["done_on"].isoformat(),
                    "ref": row["ref"],
                },
            }
            for row in done
        ],
    )
