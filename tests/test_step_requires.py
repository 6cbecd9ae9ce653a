"""A step that builds on another is not opened for an agency that never had that other step."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models.agencies import upsert_agencies
from models.calendar import CalendarError, build_rule_set
from models.cycles import find_step, history, mark_done, open_cycle, rules_for_year
from models.reminders import REMINDER, ReminderPolicy, decide_reminders
from models.tables import STEP, Agency

WARD_HEADER = [
    "code",
    "name",
    "kind",
    "parent_code",
    "secretary_email",
    "head_email",
    "valid_from",
]
# Two wards formed on 1/7/2025, when the district level ended.
WARDS = [
    ["P-THANHSEN", "UBND phường Thành Sen", "ubnd_xa", "", "thuky.ts@hatinh.example", "ct.ts@x.vn"],
    ["P-TRANPHU", "UBND phường Trần Phú", "ubnd_xa", "", "thuky.tp@hatinh.example", "ct.tp@x.vn"],
]


@pytest.fixture
def wards(session) -> None:
    upsert_agencies(session=session, header=WARD_HEADER, data=[[*w, "2025-07-01"] for w in WARDS])


def keys(session, code: str, year: int = 2025) -> set[str]:
    agency = session.execute(select(Agency.id).where(Agency.code == code)).scalar_one()
    return set(
        session.execute(
            select(STEP.c.key).where(STEP.c.agency_id == agency, STEP.c.year == year)
        ).scalars()
    )


def without_requires(rules):
    """The calendar as stored by a cycle opened before steps could require one another."""
    data = {**rules.data, "version": "2025.1"}
    data["steps"] = {
        k: {f: v for f, v in spec.items() if f != "requires"} for k, spec in data["steps"].items()
    }
    return build_rule_set(data, "old calendar")


def test_a_ward_formed_on_1_july_gets_no_review_of_objectives_it_never_issued(
    session, wards, rules
):
    open_cycle(session=session, year=2025, rules=rules)
    assert keys(session, "P-THANHSEN") == {
        "build_plan",
        "build_committee",
        "internal_audit",
        "management_review",
        "corrective_actions",
        "announce",
        "annual_report",
    }
    # 352 days after objectives_review's deadline (15/12/2025): nobody is reminded of it.
    decide_reminders(
        session=session,
        today=date(2026, 12, 2),
        now=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        policy=ReminderPolicy(),
        working=rules.working,
    )
    reminded = session.execute(
        select(STEP.c.key).join(REMINDER, REMINDER.c.step_id == STEP.c.id)
    ).scalars()
    assert "objectives_review" not in set(reminded)


def test_an_agency_formed_after_the_audit_deadline_gets_no_management_review(session, rules):
    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "valid_from"],
        data=[["TTMOI", "Trung tâm mới", "trung_tam", "2025-10-20"]],
    )
    open_cycle(session=session, year=2025, rules=rules)
    assert keys(session, "TTMOI") == {"corrective_actions", "annual_report"}


def test_reopening_waives_the_untouched_steps_opened_before_with_a_reason_and_history(
    session, wards, rules
):
    old = without_requires(rules)
    open_cycle(session=session, year=2025, rules=old)
    assert "objectives_review" in keys(session, "P-THANHSEN")
    # One ward's secretary already recorded hers: a touched step is left as it is.
    mark_done(
        session=session,
        step=find_step(
            session=session, agency_code="P-TRANPHU", year=2025, key="objectives_review"
        ),
        done_on=date(2025, 12, 12),
        ref="BC 5/BC-UBND",
        note=None,
        actor="thuky.tp",
        today=date(2025, 12, 31),
    )

    # A plain `cycle open 2025` reuses the stored (old) calendar, with the dependencies added.
    again = rules_for_year(session=session, year=2025, default=rules)
    result = open_cycle(session=session, year=2025, rules=again, actor="admin")
    assert (result.created, result.waived) == (0, 1)

    session.expire_all()
    waived = find_step(
        session=session, agency_code="P-THANHSEN", year=2025, key="objectives_review"
    )
    assert waived.state == "waived"
    assert waived.waive_reason == (
        "Năm 2025 đơn vị không có bước “Ban hành mục tiêu chất lượng”, nên bước này không áp dụng."
    )
    ward = session.execute(select(Agency).where(Agency.code == "P-THANHSEN")).scalar_one()
    (entry,) = [
        h
        for h in history(session=session, agency_id=ward.id, year=2025)
        if h.entity == "step" and h.entity_id == "objectives_review"
    ]
    assert (entry.action, entry.actor, entry.old) == ("waived", "admin", {"state": "open"})
    assert entry.new == {"state": "waived", "waive_reason": waived.waive_reason}
    kept = find_step(session=session, agency_code="P-TRANPHU", year=2025, key="objectives_review")
    assert (kept.state, kept.done_on) == ("done", date(2025, 12, 12))
    # Running it again changes nothing more.
    assert open_cycle(session=session, year=2025, rules=again).waived == 0


def test_it_refuses_a_requires_that_names_no_step_or_goes_round(rules):
    data = dict(rules.data)
    steps = dict(data["steps"])
    steps["quality_objectives"] = {**steps["quality_objectives"], "enabled": False}
    with pytest.raises(CalendarError, match=r"objectives_review\.requires: 'quality_objectives'"):
        build_rule_set({**data, "steps": steps}, "test")
    steps["objectives_review"] = {**steps["objectives_review"], "requires": ""}
    assert (
        build_rule_set({**data, "steps": steps}, "test").by_key["objectives_review"].requires
        is None
    )
    circle = dict(data["steps"])
    circle["internal_audit"] = {**circle["internal_audit"], "requires": "management_review"}
    with pytest.raises(CalendarError, match="require each other"):
        build_rule_set({**data, "steps": circle}, "test")
