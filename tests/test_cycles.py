"""Opening cycles, marking steps done or waived, and status computed from the given day."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models.agencies import upsert_agencies
from models.cycles import StepError, find_step, history, mark_done, open_cycle, status_rows, waive
from models.tables import Agency, HistoryEntry, Step
from tests.conftest import TODAY

KINDS_WITH_QMS = 6  # every agency of the small province holds a QMS
STEPS_PER_YEAR = 9


def step_count(session, year: int = 2026) -> int:
    return session.execute(
        select(func.count()).select_from(Step).where(Step.year == year)
    ).scalar_one()


def get(session, code: str, key: str, year: int = 2026) -> Step:
    return find_step(session=session, agency_code=code, year=year, key=key)


def complete(session, code: str, key: str, done_on: date, ref: str, note=None, actor="t") -> bool:
    step = get(session, code, key)
    return mark_done(
        session=session, step=step, done_on=done_on, ref=ref, note=note, actor=actor, today=TODAY
    )


def test_it_opens_a_cycle_once(session, province, rules):
    first = open_cycle(session=session, year=2026, rules=rules)
    assert first.created == KINDS_WITH_QMS * STEPS_PER_YEAR
    second = open_cycle(session=session, year=2026, rules=rules)
    assert (second.created, second.updated, second.unchanged) == (
        0,
        0,
        KINDS_WITH_QMS * STEPS_PER_YEAR,
    )
    assert step_count(session) == KINDS_WITH_QMS * STEPS_PER_YEAR


def test_it_stores_nominal_and_effective_deadlines(session, opened_2026):
    step = get(session, "SNGV", "quality_objectives")
    assert (step.nominal_due, step.due) == (date(2026, 2, 15), date(2026, 2, 23))


def test_a_calendar_change_moves_only_untouched_steps(session, opened_2026, rules, tmp_path):
    complete(session, "SNGV", "internal_audit", date(2026, 10, 13), "12/BC-SNgV", actor="test")
    override = tmp_path / "my.toml"
    override.write_text('[steps.internal_audit]\ndeadline = "16/10"\n', encoding="utf-8")
    from models.calendar import load_rule_set

    result = open_cycle(session=session, year=2026, rules=load_rule_set(overrides=[override]))
    assert (result.created, result.updated, result.skipped_touched) == (0, 5, 1)
    assert {c["agency"] for c in result.changes} == {"HATINH", "SKHCN", "TTDVDN", "SCT", "UB18073"}
    assert result.changes[0]["new_due"] == "2026-10-16"
    session.expire_all()
    assert get(session, "SCT", "internal_audit").due == date(2026, 10, 16)
    assert get(session, "SNGV", "internal_audit").due == date(2026, 10, 15)


def test_it_opens_steps_only_while_an_agency_exists(session, rules):
    header = ["code", "name", "kind", "parent_code", "active", "valid_from", "valid_to"]
    upsert_agencies(
        session=session,
        header=header,
        data=[
            ["XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "", "0", "2018-01-01", "2025-06-30"],
            ["UB18115", "UBND Phường Bắc Hồng Lĩnh", "ubnd_xa", "", "1", "2025-07-01", ""],
            ["OLDNOFLAG", "Đơn vị đã giải thể", "so", "", "0", "", ""],
            ["VP", "Văn phòng", "van_phong", "", "1", "", ""],
        ],
    )
    open_cycle(session=session, year=2025, rules=rules)
    keys = {
        code: sorted(
            s.key
            for s in session.execute(
                select(Step).join(Agency, Agency.id == Step.agency_id).where(Agency.code == code)
            ).scalars()
        )
        for code in ("XTHUANLOC", "UB18115", "OLDNOFLAG", "VP")
    }
    assert keys["XTHUANLOC"] == [
        "plan",
        "quality_objectives",
        "six_month_report",
        "steering_committee",
    ]
    # No objectives_review: the ward had no quality_objectives step (due 15/02/2025) to review.
    # Formed during the year, it builds its QMS: build and announce steps, no maintenance plan.
    assert keys["UB18115"] == [
        "announce",
        "annual_report",
        "build_committee",
        "build_plan",
        "corrective_actions",
        "internal_audit",
        "management_review",
    ]
    assert keys["OLDNOFLAG"] == [] and keys["VP"] == []


def test_marking_again_keeps_the_old_values_in_history(session, opened_2026):
    assert complete(session, "SNGV", "plan", date(2026, 1, 19), "46/KH-SNgV", actor="thuky")
    assert not complete(session, "SNGV", "plan", date(2026, 1, 19), "46/KH-SNgV", actor="thuky")
    assert complete(
        session, "SNGV", "plan", date(2026, 1, 20), "47/KH-SNgV", note="sửa số", actor="giamdoc"
    )
    session.expire_all()
    step = get(session, "SNGV", "plan")
    assert (step.done_on, step.ref, step.note, step.done_by) == (
        date(2026, 1, 20),
        "47/KH-SNgV",
        "sửa số",
        "giamdoc",
    )
    entries = [
        e
        for e in history(session=session, agency_id=step.agency_id, year=2026)
        if e.entity == "step"
    ]
    assert [e.action for e in entries] == ["done", "done_updated"]
    assert entries[1].old == {"state": "done", "done_on": "2026-01-19", "ref": "46/KH-SNgV"}
    assert entries[1].new["ref"] == "47/KH-SNgV" and entries[1].actor == "giamdoc"


@pytest.mark.parametrize(
    ("code", "key", "done_on", "message"),
    [
        ("SNGV", "plan", TODAY + timedelta(days=1), "in the future"),
        ("SNGV", "plan", date(2025, 9, 30), "before 01/10/2025, the earliest"),
        ("SNGV", "internal_audit", date(2025, 12, 31), "before 01/01/2026, the earliest"),
    ],
)
def test_it_refuses_impossible_completions(session, opened_2026, code, key, done_on, message):
    with pytest.raises(StepError, match=message):
        complete(session, code, key, done_on, "1/X")


@pytest.mark.parametrize("key", ["plan", "steering_committee", "quality_objectives"])
@pytest.mark.parametrize("done_on", [date(2025, 10, 1), date(2025, 12, 1)])
def test_a_plan_issued_the_autumn_before_counts_for_the_year(session, opened_2026, key, done_on):
    # Offices issue next year's plan, objectives and steering committee from October on.
    assert complete(session, "SNGV", key, done_on, "46/KH-SNgV")
    assert get(session, "SNGV", key).done_on == done_on


@pytest.mark.parametrize("key", ["internal_audit", "objectives_review"])
def test_other_steps_keep_the_cycle_year_rule(session, opened_2026, key):
    with pytest.raises(StepError, match="before 01/01/2026, the earliest completion date"):
        complete(session, "SNGV", key, date(2025, 12, 1), "1/X")


def test_the_earliest_date_comes_from_the_calendar_the_year_was_opened_with(
    session, province, tmp_path
):
    from models.calendar import load_rule_set

    override = tmp_path / "late.toml"
    override.write_text(
        '[steps.plan]\nearliest_done = "-12-15"\n[steps.internal_audit]\nearliest_done = "-11-01"\n',
        encoding="utf-8",
    )
    open_cycle(session=session, year=2026, rules=load_rule_set(overrides=[override]))
    with pytest.raises(StepError, match="before 15/12/2025"):
        complete(session, "SNGV", "plan", date(2025, 12, 1), "46/KH-SNgV")
    assert complete(session, "SNGV", "plan", date(2025, 12, 15), "46/KH-SNgV")
    assert complete(session, "SNGV", "internal_audit", date(2025, 11, 3), "12/BC-SNgV")


def test_a_review_dated_before_the_audit_is_accepted(session, opened_2026):
    # QĐ 19/2014 Art. 4.4b: a review at least once a year, not after the audit (seed 000 held
    # one on 03/5/2021, before its 29/9/2021 audit); the review page warns instead.
    complete(session, "SNGV", "internal_audit", date(2026, 9, 29), "12/BC-SNgV")
    assert complete(session, "SNGV", "management_review", date(2026, 5, 3), "5/BB-SNgV")


def test_unknown_agency_or_step_is_named(session, opened_2026):
    with pytest.raises(StepError, match="unknown agency 'NOPE'"):
        get(session, "NOPE", "plan")
    with pytest.raises(StepError, match="unknown step 'plann'"):
        get(session, "SNGV", "plann")
    with pytest.raises(StepError, match="no steps in 2031"):
        get(session, "SNGV", "plan", year=2031)


def test_status_is_computed_from_today_never_stored(session, opened_2026):
    rows = {
        (r["agency"], r["step"]): r
        for r in status_rows(session=session, year=2026, today=date(2026, 10, 15))
    }
    assert rows[("SCT", "internal_audit")]["status"] == "pending"  # due today is not yet late
    rows = {
        (r["agency"], r["step"]): r
        for r in status_rows(session=session, year=2026, today=date(2026, 10, 16))
    }
    assert rows[("SCT", "internal_audit")]["status"] == "overdue"
    assert rows[("SCT", "internal_audit")]["days_overdue"] == 1


def test_days_late_and_waived(session, opened_2026):
    complete(session, "SCT", "plan", date(2026, 2, 23), "51/KH-SCT")
    waive(
        session=session,
        step=get(session, "SCT", "six_month_report"),
        reason="Sở KH&CN miễn",
        actor="t",
    )
    rows = {
        r["step"]: r
        for r in status_rows(session=session, year=2026, today=TODAY)
        if r["agency"] == "SCT"
    }
    assert rows["plan"]["status"] == "done" and rows["plan"]["days_late"] == 21  # due Mon 02/02
    assert rows["plan"]["days_overdue"] == 0
    assert (
        rows["six_month_report"]["status"] == "waived"
        and rows["six_month_report"]["days_overdue"] == 0
    )
    assert rows["objectives_review"]["status"] == "pending"


def test_status_json_has_the_promised_fields(cli, opened_2026):
    assert (
        cli(
            "done",
            "SNGV",
            "2026",
            "plan",
            "--on",
            "2026-01-19",
            "--ref",
            "46/KH-SNgV",
            "--today",
            "2026-11-24",
        ).exit_code
        == 0
    )
    result = cli("status", "2026", "--agency", "SNGV", "--today", "2026-11-24", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    agencies = {d["agency"] for d in data}
    assert agencies == {"SNGV", "TTDVDN"}  # the agency and its units
    plan = next(d for d in data if d["agency"] == "SNGV" and d["step"] == "plan")
    assert plan == {
        "agency": "SNGV",
        "agency_name": "Sở Ngoại vụ",
        "step": "plan",
        "title": "Ban hành kế hoạch duy trì, cải tiến HTQLCL năm",
        "nominal_due": "2026-01-31",
        "due": "2026-02-02",
        "status": "done",
        "done_on": "2026-01-19",
        "ref": "46/KH-SNgV",
        "days_overdue": 0,
        "days_late": 0,
    }
    audit = next(d for d in data if d["agency"] == "SNGV" and d["step"] == "internal_audit")
    assert (audit["status"], audit["days_overdue"]) == ("overdue", 40)


def test_status_table_is_vietnamese_with_dd_mm_yyyy(cli, opened_2026):
    result = cli("status", "2026", "--agency", "SCT", "--today", "2026-02-01")
    assert result.exit_code == 0
    assert "Ban hành mục tiêu chất lượng" in result.stdout
    assert "23/02/2026" in result.stdout
    assert "chưa đến hạn" in result.stdout


def test_cli_refusals_exit_non_zero(cli, opened_2026):
    cases = [
        (["done", "NOPE", "2026", "plan", "--on", "2026-01-19", "--ref", "1/X"], "unknown agency"),
        (["done", "SNGV", "2026", "plann", "--on", "2026-01-19", "--ref", "1/X"], "unknown step"),
        (["done", "SNGV", "2026", "plan", "--on", "2026-02-30", "--ref", "1/X"], "not a real date"),
        (["done", "SNGV", "2026", "plan", "--on", "2099-01-01", "--ref", "1/X"], "in the future"),
        (["status", "2026", "--agency", "NOPE"], "unknown agency"),
        (["waive", "SNGV", "2026", "plan", "--reason", "  "], "reason"),
        (
            ["done", "SNGV", "2026", "plan", "--on", "2026-01-19", "--ref", "x" * 201],
            "ref: longer than 200",
        ),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)


def test_waive_and_history_are_recorded(session, cli, opened_2026):
    assert (
        cli(
            "waive", "SCT", "2026", "six_month_report", "--reason", "Sở KH&CN miễn", "--by", "thuky"
        ).exit_code
        == 0
    )
    assert (
        "nothing changed"
        in cli("waive", "SCT", "2026", "six_month_report", "--reason", "Sở KH&CN miễn").stdout
    )
    entry = session.execute(select(HistoryEntry).where(HistoryEntry.entity == "step")).scalar_one()
    assert (entry.actor, entry.action, entry.new["waive_reason"]) == (
        "thuky",
        "waived",
        "Sở KH&CN miễn",
    )
