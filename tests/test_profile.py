"""The QMS profile, steering committee and announcements, and the steps they decide."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import iso
from models.calendar import CalendarError, build_rule_set, load_rule_set
from models.cycles import find_step, history, open_cycle
from models.iso import profile as qms
from models.tables import STEP, HistoryEntry
from tests.web_support import bearer, csrf_of, login

TODAY = date(2026, 11, 24)


def step_keys(session: Session, code: str, year: int) -> set[str]:
    agency = iso.get_agency(session, code)
    return set(
        session.execute(
            select(STEP.c.key).where(STEP.c.agency_id == agency.id, STEP.c.year == year)
        ).scalars()
    )


def entries(session: Session, code: str, entity: str) -> list[HistoryEntry]:
    agency = iso.get_agency(session, code)
    return [h for h in history(session=session, agency_id=agency.id) if h.entity == entity]


# --- domain correction: the steering committee is not a yearly duty -----------------------------


def test_an_agency_with_a_committee_on_record_gets_no_yearly_committee_step(
    session, province, rules
):
    # TT 26/2014 Art. 7 asks for a committee; seed 001 keeps 29/QĐ-SNgV of 05/8/2020 for years.
    iso.record_committee(
        session=session,
        agency_code="SNGV",
        ref="29/QĐ-SNgV",
        decided_on=date(2020, 8, 5),
        members=[],
        actor="t",
        today=TODAY,
    )
    open_cycle(session=session, year=2026, rules=rules)
    assert "steering_committee" not in step_keys(session, "SNGV", 2026)
    # An agency with no committee on record still has to set one up.
    assert "steering_committee" in step_keys(session, "SCT", 2026)


def test_the_default_calendar_does_not_ask_every_agency_for_a_committee_each_year():
    rule = load_rule_set().by_key["steering_committee"]
    assert rule.unless_on_record == "steering_committee"
    assert "Kiện toàn" not in rule.title  # re-forming follows a leadership change (events)


def test_a_committee_issued_in_the_steps_window_completes_it(session, province, rules):
    open_cycle(session=session, year=2027, rules=rules)
    # Issued in the autumn before the year (earliest_done -10-01): it answers the 2027 step.
    iso.record_committee(
        session=session,
        agency_code="SCT",
        ref="93/QĐ-SCT",
        decided_on=date(2026, 10, 1),
        members=[iso.MemberIn("Nguyễn Văn A", "Giám đốc Sở", "Trưởng ban")],
        actor="t",
        today=TODAY,
    )
    step = find_step(session=session, agency_code="SCT", year=2027, key="steering_committee")
    assert (step.state, step.ref, step.done_on) == ("done", "93/QĐ-SCT", date(2026, 10, 1))
    # Reopening the year keeps it (touched), and a 2028 cycle does not ask again.
    open_cycle(session=session, year=2028, rules=rules)
    assert "steering_committee" not in step_keys(session, "SCT", 2028)


def test_a_leadership_change_starts_a_reform_step_that_the_new_decision_completes(
    session, province, rules
):
    iso.record_committee(
        session=session,
        agency_code="SNGV",
        ref="29/QĐ-SNgV",
        decided_on=date(2020, 8, 5),
        members=[],
        actor="t",
        today=TODAY,
    )
    open_cycle(session=session, year=2026, rules=rules)
    iso.record_event(
        session=session,
        kind="leadership_change",
        number="150/QĐ-UBND",
        effective_on=date(2026, 3, 2),
        agency_codes=["SNGV"],
        actor="t",
        rules=iso.load_iso_rules(),
        working=rules.working,
    )
    key = "steering_committee_reform:150/QĐ-UBND"
    assert find_step(session=session, agency_code="SNGV", year=2026, key=key).state == "open"
    # A decision dated before the change does not answer it; the new one does.
    iso.record_committee(
        session=session,
        agency_code="SNGV",
        ref="12/QĐ-SNgV",
        decided_on=date(2026, 3, 20),
        members=[
            iso.MemberIn("Trần Thị B", "Giám đốc Sở", "Trưởng ban"),
            iso.MemberIn("Lê Văn C", "Chánh Văn phòng", "thư ký"),
        ],
        actor="t",
        today=TODAY,
    )
    step = find_step(session=session, agency_code="SNGV", year=2026, key=key)
    assert (step.state, step.ref) == ("done", "12/QĐ-SNgV")
    data = iso.get_profile(session=session, agency_code="SNGV")
    # The new decision is in force; the old one stays readable.
    assert [(c["ref"], c["in_force"]) for c in data["committees"]] == [
        ("12/QĐ-SNgV", True),
        ("29/QĐ-SNgV", False),
    ]
    assert data["committees"][0]["members"][1] == {
        "name": "Lê Văn C",
        "title": "Chánh Văn phòng",
        "role": "Thư ký",
    }


# --- building or maintaining --------------------------------------------------------------------


def test_a_ward_formed_on_1_july_2025_builds_and_announces(session, province, rules):
    from models.agencies import upsert_agencies

    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "parent_code", "active", "valid_from"],
        data=[["UB99", "UBND phường Mới", "ubnd_xa", "", "1", "2025-07-01"]],
    )
    open_cycle(session=session, year=2025, rules=rules)
    keys = step_keys(session, "UB99", 2025)
    assert {"build_plan", "build_committee", "announce"} <= keys
    assert "plan" not in keys and "steering_committee" not in keys
    # 2025 for it is the year of building; 2026 it maintains (no profile says otherwise).
    open_cycle(session=session, year=2026, rules=rules)
    keys_2026 = step_keys(session, "UB99", 2026)
    assert "plan" in keys_2026 and "build_plan" not in keys_2026
    # Its announcement completes the announce step; the notice names its recipient by code.
    iso.set_profile(
        session=session, agency_code="UB99", values={"edition": "2015"}, actor="t", today=TODAY
    )
    # 15/12/2025 is a Monday; the announcement comes after the review (10/11).
    iso.record_announcement(
        session=session,
        agency_code="UB99",
        kind="announcement",
        ref="50/QĐ-UBND",
        decided_on=date(2025, 12, 12),
        notice_ref="51/UBND",
        notice_on=date(2025, 12, 15),
        notice_to="SKHCN",
        posted_on=date(2025, 12, 15),
        actor="t",
        today=TODAY,
    )
    step = find_step(session=session, agency_code="UB99", year=2025, key="announce")
    assert (step.state, step.ref, step.done_on) == ("done", "50/QĐ-UBND", date(2025, 12, 12))


def test_the_profiles_mode_decides_and_untouched_steps_of_the_other_mode_are_waived(
    session, province, rules
):
    open_cycle(session=session, year=2026, rules=rules)
    assert "plan" in step_keys(session, "SCT", 2026)
    iso.set_profile(
        session=session,
        agency_code="SCT",
        values={"edition": "2015", "mode": "xây dựng mới"},
        actor="t",
        today=TODAY,
    )
    open_cycle(session=session, year=2026, rules=rules)
    assert {"build_plan", "announce"} <= step_keys(session, "SCT", 2026)
    plan = find_step(session=session, agency_code="SCT", year=2026, key="plan")
    assert plan.state == "waived"
    assert plan.waive_reason == "Năm 2026 đơn vị xây dựng mới HTQLCL, nên bước này không áp dụng."


def test_the_calendar_refuses_unknown_modes_and_record_conditions(rules):
    data = {**rules.data, "steps": {**rules.data["steps"]}}
    data["steps"]["plan"] = {**data["steps"]["plan"], "modes": ["sometimes"]}
    with pytest.raises(CalendarError, match="steps.plan.modes"):
        build_rule_set(data, "test")
    data["steps"]["plan"] = {**data["steps"]["plan"], "modes": ["build"]}
    data["steps"]["plan"]["unless_on_record"] = "audit"
    with pytest.raises(CalendarError, match="unless_on_record"):
        build_rule_set(data, "test")
    with pytest.raises(CalendarError, match="default_mode"):
        build_rule_set({**rules.data, "default_mode": "x"}, "test")


# --- the profile and its history ----------------------------------------------------------------


def test_every_profile_change_leaves_history_and_bad_values_are_refused_whole(session, province):
    iso.set_profile(
        session=session,
        agency_code="SNGV",
        values={"edition": "TCVN ISO 9001:2008", "first_applied_year": 2009},
        actor="t",
        today=TODAY,
    )
    iso.set_profile(
        session=session,
        agency_code="SNGV",
        values={"edition": "2015", "converted_year": 2018},
        actor="t2",
        today=TODAY,
    )
    changes = entries(session, "SNGV", "qms_profile")
    assert [h.action for h in changes] == ["recorded", "updated"]
    assert changes[1].old == {"edition": "2008", "converted_year": None}
    assert changes[1].new == {"edition": "2015", "converted_year": 2018}
    with pytest.raises(iso.IsoError) as refused:
        iso.set_profile(
            session=session,
            agency_code="SNGV",
            values={
                "edition": "2026",
                "converted_year": 2005,
                "system_issued_on": date(2027, 1, 1),
            },
            actor="t",
            today=TODAY,
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {"edition", "converted_year", "system_issued_on"}
    assert "Phiên bản tiêu chuẩn «2026»" in str(refused.value)
    assert "Ngày ban hành HTQLCL 01/01/2027 là ngày trong tương lai" in str(refused.value)
    session.expire_all()
    assert iso.get_profile(session=session, agency_code="SNGV")["edition"] == "2015"
    assert len(entries(session, "SNGV", "qms_profile")) == 2


def test_an_announcement_is_refused_whole_naming_each_field(session, province):
    with pytest.raises(iso.IsoError) as refused:
        iso.record_announcement(
            session=session,
            agency_code="SNGV",
            kind="announcement",
            ref="25/QĐ-SNgV",
            decided_on=date(2021, 7, 16),
            notice_ref="30/SNgV",
            notice_on=date(2021, 7, 10),
            notice_to="KHONGCO",
            posted_on=date(2021, 7, 20),
            actor="t",
            today=TODAY,
        )
    messages = {e.field: e.message for e in refused.value.errors}
    assert set(messages) == {"edition", "notice_to", "notice_on"}
    assert messages["notice_to"] == "Không có đơn vị nhận mã «KHONGCO»."
    assert "10/07/2021 trước ngày quyết định công bố 16/07/2021" in messages["notice_on"]
    assert session.execute(select(func.count()).select_from(qms.Announcement)).scalar() == 0


def test_a_committee_member_with_a_bad_role_is_named_by_row(session, province):
    with pytest.raises(iso.IsoError) as refused:
        iso.record_committee(
            session=session,
            agency_code="SCT",
            ref="30/QĐ-SCT",
            decided_on=date(2021, 3, 12),
            members=[iso.MemberIn("A", "", "Trưởng ban"), iso.MemberIn("", "", "Chủ tịch")],
            actor="t",
            today=TODAY,
        )
    assert [e.field for e in refused.value.errors] == ["members.1.name", "members.1.role"]
    assert refused.value.errors[0].message.startswith("Thành viên 2: chưa nhập Họ và tên")


def test_a_scope_change_and_a_restructuring_start_re_announcement_steps(session, province, rules):
    open_cycle(session=session, year=2026, rules=rules)
    iso_rules = iso.load_iso_rules()
    for kind, number in (("scope_change", "800/QĐ-UBND"), ("restructuring", "900/QĐ-UBND")):
        iso.record_event(
            session=session,
            kind=kind,
            number=number,
            effective_on=date(2026, 5, 4),
            agency_codes=["SCT"],
            actor="t",
            rules=iso_rules,
            working=rules.working,
        )
    steps = {k for k in step_keys(session, "SCT", 2026) if k.startswith("re_announcement:")}
    assert steps == {"re_announcement:800/QĐ-UBND", "re_announcement:900/QĐ-UBND"}
    iso.set_profile(
        session=session, agency_code="SCT", values={"edition": "2015"}, actor="t", today=TODAY
    )
    iso.record_announcement(
        session=session,
        agency_code="SCT",
        kind="re_announcement",
        ref="60/QĐ-SCT",
        decided_on=date(2026, 5, 29),
        actor="t",
        today=TODAY,
    )
    for number in ("800/QĐ-UBND", "900/QĐ-UBND"):
        step = find_step(
            session=session, agency_code="SCT", year=2026, key=f"re_announcement:{number}"
        )
        assert (step.state, step.ref) == ("done", "60/QĐ-SCT")
    # The same number for a second kind would give an agency two steps of one key: refused.
    with pytest.raises(iso.IsoError, match="đã có bước"):
        iso.record_event(
            session=session,
            kind="restructuring",
            number="800/QĐ-UBND",
            effective_on=date(2026, 6, 1),
            agency_codes=["SCT"],
            actor="t",
            rules=iso_rules,
            working=rules.working,
        )


# --- CLI, API and pages -------------------------------------------------------------------------


def test_the_cli_sets_and_shows_a_profile(cli, province):
    result = cli(
        "profile", "set", "SNGV", "--edition", "2015", "--first-applied", "2009",
        "--converted", "2018", "--system-ref", "27/QĐ-SNgV", "--system-on", "25/07/2018",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    member = "Nguyễn Văn A|Giám đốc Sở|Trưởng ban"
    assert cli(
        "profile", "committee", "SNGV", "--ref", "29/QĐ-SNgV", "--on", "05/08/2020",
        "--member", member,
    ).exit_code == 0  # fmt: skip
    data = json.loads(cli("profile", "show", "SNGV", "--json").stdout)
    assert (data["standard"], data["system_issued_on"]) == ("TCVN ISO 9001:2015", "2018-07-25")
    assert data["committees"][0]["members"] == [
        {"name": "Nguyễn Văn A", "title": "Giám đốc Sở", "role": "Trưởng ban"}
    ]
    bad = cli("profile", "set", "SNGV", "--converted", "2030")
    assert bad.exit_code == 1
    assert "Năm chuyển đổi 2030 không hợp lệ" in bad.stderr
    unknown = cli("profile", "show", "KHONGCO")
    assert unknown.exit_code == 1 and "Không có đơn vị mã «KHONGCO»" in unknown.stderr


@pytest.mark.parametrize(
    ("persona", "code", "allowed"),
    [
        ("sec_sngv", "SNGV", True),
        ("sec_sngv", "SCT", False),
        ("view_sngv", "SNGV", False),
        ("admin", "SCT", True),
    ],
)
def test_the_api_writes_only_for_those_who_may_change_the_agency(
    client, tokens, session, persona, code, allowed
):
    headers = bearer(tokens[persona])
    response = client.patch(
        f"/api/v1/agencies/{code}/profile", json={"edition": "2015"}, headers=headers
    )
    assert response.status_code == (200 if allowed else 403)
    read = client.get(f"/api/v1/agencies/{code}/profile", headers=headers)
    assert read.status_code == (200 if persona != "sec_sngv" or code == "SNGV" else 403)


def test_the_api_refuses_with_vietnamese_field_errors(client, tokens):
    headers = bearer(tokens["sec_sngv"])
    response = client.post(
        "/api/v1/agencies/SNGV/profile/announcements",
        json={"ref": "25/QĐ-SNgV", "decided_on": "2021-07-16", "notice_to": "KHONGCO"},
        headers=headers,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"edition", "notice_to"}


def test_the_agency_page_shows_its_edition_and_the_profile_form_records(client, tokens, session):
    iso.set_profile(
        session=session, agency_code="SNGV", values={"edition": "2008"}, actor="t", today=TODAY
    )
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV")
    assert "TCVN ISO 9001:2008" in page.text and "9001:2015" not in page.text.split("<main>")[0]
    assert "Hệ thống quản lý chất lượng theo TCVN ISO 9001:2008" in page.text
    form = client.get("/agencies/SNGV/profile")
    response = client.post(
        "/agencies/SNGV/profile/committee",
        data={
            "csrf_token": csrf_of(form.text),
            "ref": "29/QĐ-SNgV",
            "decided_on": "05/08/2020",
            "name_1": "Nguyễn Văn A",
            "title_1": "Giám đốc Sở",
            "role_1": "Trưởng ban",
        },
    )
    assert response.status_code == 303
    shown = client.get("/agencies/SNGV/profile").text
    assert "Quyết định 29/QĐ-SNgV ngày 05/08/2020" in shown and "Nguyễn Văn A" in shown
    bad = client.post(
        "/agencies/SNGV/profile/announcement",
        data={"csrf_token": csrf_of(shown), "ref": "<b>x</b>", "decided_on": "31/02/2021"},
    )
    assert bad.status_code == 422
    assert "Ngày quyết định công bố" in bad.text and "<b>x</b>" not in bad.text
    # A province-wide page names the standard without a year.
    dashboard = client.get("/dashboard").text
    assert "TCVN ISO 9001:20" not in dashboard and "TCVN ISO 9001" in dashboard


def test_profile_history_reads_as_vietnamese(session, province):
    from models import history_text

    for values in ({"edition": "2008", "first_applied_year": 2009}, {"edition": "2015"}):
        iso.set_profile(session=session, agency_code="SNGV", values=values, actor="t", today=TODAY)
    recorded, updated = entries(session, "SNGV", "qms_profile")
    told = history_text.describe(updated)
    assert "hồ sơ HTQLCL" in told.sentence
    changes = "; ".join(str(c) for c in told.changes)
    assert "TCVN ISO 9001:2008" in changes and "TCVN ISO 9001:2015" in changes
    first = "; ".join(str(c) for c in history_text.describe(recorded).changes)
    assert "2009" in first and "2.009" not in first and "maintain" not in first


@pytest.mark.parametrize(
    ("decided_on", "gets_step"),
    [
        (date(2025, 9, 30), False),  # before the 2026 step's window (from 1/10/2025): on record
        (date(2025, 10, 1), True),  # the window's first day: it is the 2026 step's own decision
        (date(2025, 12, 31), True),  # 31/12 → 1/1: still the decision for 2026
    ],
)
def test_the_committee_steps_window_decides_at_its_edges(
    session, province, rules, decided_on, gets_step
):
    iso.record_committee(
        session=session,
        agency_code="SCT",
        ref="1/QĐ-SCT",
        decided_on=decided_on,
        members=[],
        actor="t",
        today=TODAY,
    )
    open_cycle(session=session, year=2026, rules=rules)
    assert ("steering_committee" in step_keys(session, "SCT", 2026)) is gets_step
    if gets_step:
        # Opened after the decision was recorded: the step is created done by it, with history.
        step = find_step(session=session, agency_code="SCT", year=2026, key="steering_committee")
        assert (step.state, step.done_on, step.ref) == ("done", decided_on, "1/QĐ-SCT")
        done = [h for h in entries(session, "SCT", "step") if h.entity_id == "steering_committee"]
        assert [(h.action, h.new["ref"]) for h in done] == [("done", "1/QĐ-SCT")]
