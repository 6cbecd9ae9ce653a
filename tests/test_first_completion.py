"""A step completed by a record keeps its first completion: a later record never makes it late."""

from __future__ import annotations

from datetime import date

import pytest

from models import iso
from models.cycles import find_step, mark_done, open_cycle, status_rows
from models.iso import FindingIn, ObjectiveIn
from models.tables import Step

END_2025 = date(2025, 12, 31)


def step(session, code: str, key: str, year: int = 2025) -> Step:
    session.expire_all()
    return find_step(session=session, agency_code=code, year=year, key=key)


def days_late(session, code: str, key: str) -> int:
    (row,) = [
        r
        for r in status_rows(session=session, year=2025, today=END_2025)
        if r["agency"] == code and r["step"] == key
    ]
    return row["days_late"]


@pytest.fixture
def opened_2025(province, session, rules) -> None:
    open_cycle(session=session, year=2025, rules=rules)


def audit(session, end_on: date, ref: str, kind: str = "internal") -> None:
    iso.record_audit(
        session=session,
        agency_code="SNGV",
        year=2025,
        start_on=end_on,
        end_on=end_on,
        ref=ref,
        team=None,
        scope_units=[],
        findings=[FindingIn("observation", "Văn phòng", "Hồ sơ chưa sắp xếp")],
        actor="thuky.sngv",
        today=END_2025,
        kind=kind,
    )


def test_a_second_audit_of_the_year_leaves_the_internal_audit_step_on_time(session, opened_2025):
    # The trial: done on time on 08/10, then a second audit on 25/11 made it "Trễ 41 ngày".
    audit(session, date(2025, 10, 8), "KH 12/KH-SNgV")
    audit(session, date(2025, 11, 25), "KH 30/KH-SNgV (đợt 2)")
    done = step(session, "SNGV", "internal_audit")
    assert (done.state, done.done_on, done.ref) == ("done", date(2025, 10, 8), "KH 12/KH-SNgV")
    assert days_late(session, "SNGV", "internal_audit") == 0
    # Both audits are kept as records.
    summary = iso.audit_summary(session=session, agency_code="SNGV", year=2025)
    assert len(summary["audits"]) == 2


def test_an_audit_leaves_an_internal_audit_step_completed_by_hand(session, opened_2025):
    mark_done(
        session=session,
        step=step(session, "SNGV", "internal_audit"),
        done_on=date(2025, 10, 1),
        ref="BC 45/BC-SNgV",
        note=None,
        actor="thuky.sngv",
        today=END_2025,
    )
    audit(session, date(2025, 12, 2), "KH 30/KH-SNgV")
    done = step(session, "SNGV", "internal_audit")
    assert (done.done_on, done.ref) == (date(2025, 10, 1), "BC 45/BC-SNgV")


def decision(session, ref: str, issued_on: date) -> None:
    iso.set_objective_decision(
        session=session,
        agency_code="SNGV",
        year=2025,
        ref=ref,
        issued_on=issued_on,
        actor="thuky.sngv",
        today=END_2025,
    )


def test_a_corrected_objectives_decision_moves_its_step_but_not_one_completed_otherwise(
    session, opened_2025
):
    decision(session, "12/QĐ-SNgV", date(2025, 2, 10))
    # Correcting the same decision (a typo in its date) moves the step with it.
    decision(session, "12/QĐ-SNgV", date(2025, 2, 11))
    done = step(session, "SNGV", "quality_objectives")
    assert (done.done_on, done.ref) == (date(2025, 2, 11), "12/QĐ-SNgV")

    # A step completed by hand first keeps that completion when a decision comes later.
    mark_done(
        session=session,
        step=step(session, "SCT", "quality_objectives"),
        done_on=date(2025, 2, 12),
        ref="08/QĐ-SCT",
        note=None,
        actor="thuky.sct",
        today=END_2025,
    )
    iso.set_objective_decision(
        session=session,
        agency_code="SCT",
        year=2025,
        ref="31/QĐ-SCT",
        issued_on=date(2025, 4, 1),
        actor="thuky.sct",
        today=END_2025,
    )
    kept = step(session, "SCT", "quality_objectives")
    assert (kept.done_on, kept.ref) == (date(2025, 2, 12), "08/QĐ-SCT")
    assert days_late(session, "SCT", "quality_objectives") == 0


def review(session, held_on: date, ref: str) -> None:
    iso.record_review(
        session=session,
        agency_code="SNGV",
        year=2025,
        held_on=held_on,
        minutes_ref=ref,
        decisions=None,
        actor="thuky.sngv",
        today=END_2025,
    )


def test_a_corrected_review_moves_its_step_and_a_hand_completion_is_kept(session, opened_2025):
    audit(session, date(2025, 10, 8), "KH 12/KH-SNgV")
    review(session, date(2025, 11, 3), "BB 01/BB-SNgV")
    review(session, date(2025, 11, 4), "BB 01/BB-SNgV")  # the date was mistyped
    done = step(session, "SNGV", "management_review")
    assert (done.done_on, done.ref) == (date(2025, 11, 4), "BB 01/BB-SNgV")

    # Completed by hand, then a (different) review recorded late: the step keeps its completion.
    iso.record_audit(
        session=session,
        agency_code="SCT",
        year=2025,
        start_on=date(2025, 10, 6),
        end_on=date(2025, 10, 6),
        ref="KH 9/KH-SCT",
        team=None,
        scope_units=[],
        findings=[],
        actor="thuky.sct",
        today=END_2025,
    )
    mark_done(
        session=session,
        step=step(session, "SCT", "management_review"),
        done_on=date(2025, 11, 5),
        ref="BB 3/BB-SCT",
        note=None,
        actor="thuky.sct",
        today=END_2025,
    )
    iso.record_review(
        session=session,
        agency_code="SCT",
        year=2025,
        held_on=date(2025, 12, 20),
        minutes_ref="BB 7/BB-SCT",
        decisions=None,
        actor="thuky.sct",
        today=END_2025,
    )
    kept = step(session, "SCT", "management_review")
    assert (kept.done_on, kept.ref) == (date(2025, 11, 5), "BB 3/BB-SCT")


def test_results_entered_later_never_move_a_done_objectives_review(session, opened_2025):
    iso.add_objectives(
        session=session,
        agency_code="SNGV",
        year=2025,
        objectives=[ObjectiveIn("Hồ sơ đúng hạn", ">=", "95", "%", None, "97")],
        actor="thuky.sngv",
        today=END_2025,
        results_on=date(2025, 12, 10),
    )
    # In January a value is corrected, with that day as the results date.
    iso.record_results(
        session=session,
        agency_code="SNGV",
        year=2025,
        values={1: (None, 96.0)},
        actor="thuky.sngv",
        today=date(2026, 1, 9),
        results_on=date(2026, 1, 9),
    )
    done = step(session, "SNGV", "objectives_review")
    assert (done.state, done.done_on) == ("done", date(2025, 12, 10))
    assert days_late(session, "SNGV", "objectives_review") == 0
