"""Which steps are overdue, counted one way for every view: dashboard, digest, status and .xlsx.

A step is overdue when it is open, its (effective) deadline has passed, and its agency is in
operation today: an agency that no longer exists is reminded of nothing and chased by nobody.
Counts are always per cycle year, and every view says which year(s) it covers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from models.cycles import agency_exists_on
from models.tables import AGENCY, STEP, STEP_OPEN


@dataclass(frozen=True)
class OverdueStep:
    """One overdue step with its agency and the agency's parent."""

    agency_id: uuid.UUID
    code: str
    name: str
    parent_code: str | None
    parent_name: str | None
    year: int
    key: str
    step_type: str
    title: str
    due: date
    days_overdue: int


@dataclass(frozen=True)
class YearCount:
    """How many agencies have at least one overdue step in a year, and how many steps."""

    year: int
    agencies: int
    steps: int


def overdue_steps(
    *, session: Session, today: date, years: Iterable[int] | None = None
) -> list[OverdueStep]:
    """Every overdue step of the given years (None: all), by year (newest first), parent, agency
    and due date; in one query."""
    a, s = AGENCY.c, STEP.c
    parent = AGENCY.alias("parent")
    query = (
        select(
            a.id.label("agency_id"),
            a.code,
            a.name,
            a.active,
            a.valid_from,
            a.valid_to,
            parent.c.code.label("parent_code"),
            parent.c.name.label("parent_name"),
            s.year,
            s.key,
            s.step_type,
            s.title,
            s.due,
        )
        .join_from(STEP, AGENCY, a.id == s.agency_id)
        .outerjoin(parent, parent.c.id == a.parent_id)
        .where(s.state == STEP_OPEN, s.due < today)
        .order_by(s.year.desc(), parent.c.code, a.code, s.due, s.key)
    )
    if years is not None:
        query = query.where(s.year.in_(sorted(set(years))))
    return [
        OverdueStep(
            agency_id=r.agency_id,
            code=r.code,
            name=r.name,
            parent_code=r.parent_code,
            parent_name=r.parent_name,
            year=r.year,
            key=r.key,
            step_type=r.step_type,
            title=r.title,
            due=r.due,
            days_overdue=(today - r.due).days,
        )
        for r in session.execute(query)
        if agency_exists_on(r, today)
    ]


def count_by_year(steps: Iterable[tuple[int, str]], years: Iterable[int] = ()) -> list[YearCount]:
    """Count overdue agencies and steps per year from (year, agency code) pairs, one per overdue
    step; newest year first, and every year of `years` listed even with nothing overdue."""
    agencies: dict[int, set[str]] = {y: set() for y in years}
    counts: dict[int, int] = dict.fromkeys(agencies, 0)
    for year, code in steps:
        agencies.setdefault(year, set()).add(code)
        counts[year] = counts.get(year, 0) + 1
    return [
        YearCount(year=y, agencies=len(agencies[y]), steps=counts[y])
        for y in sorted(agencies, reverse=True)
    ]
