"""Inspections by the inspecting unit (TT 26/2014 Arts. 33-37): the plan and its 1/3 warning, the
biên bản with findings, the report-back step due 2 months later, and who may record each."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from models import iso
from models.agencies import upsert_agencies
from models.cycles import find_step, mark_done, open_cycle
from models.iso import FindingIn, InternalAudit, PlanEntry, PlannedInspection
from models.tables import HistoryEntry, Step
from tests.test_reminders import run, smtp

ISO_RULES = iso.load_iso_rules()
TODAY = date(2026, 11, 24)


@pytest.fixture
def unit(session, opened_2026):
    """The inspecting unit as data: a Chi cục TĐC under Sở KH&CN, with its own secretary."""
    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "parent_code", "secretary_name", "secretary_email"],
        data=[
            [
                "CCTDC",
                "Chi cục Tiêu chuẩn Đo lường Chất lượng",
                "chi_cuc",
                "SKHCN",
                "Lê Văn Tâm",
                "thuky.cctdc@hatinh.example",
            ]
        ],
    )
    return "CCTDC"


def plan(session, rules, entries, inspector="CCTDC", year=2026):
    return iso.record_plan(
        session=session,
        inspector_code=inspector,
        year=year,
        decision_ref="45/QĐ-SKHCN",
        decision_on=date(year, 1, 20),
        entries=entries,
        actor="cctdc",
        rules=rules,
    )


def record(session, rules, code="SNGV", ref="12/BB-TĐC", on=date(2026, 5, 14), **kw):
    return iso.record_inspection(
        session=session,
        agency_code=code,
        year=kw.pop("year", on.year),
        record_ref=ref,
        record_on=on,
        findings=kw.pop(
            "findings",
            [FindingIn("nhẹ", "Văn phòng", "Chưa cập nhật danh mục tài liệu bên ngoài", "7.5.3")],
        ),
        actor="cctdc",
        today=kw.pop("today", TODAY),
        iso_rules=ISO_RULES,
        working=rules.working,
        **kw,
    )


# --- the plan -----------------------------------------------------------------------------------


def test_a_plan_below_a_third_on_site_is_recorded_with_a_warning(session, rules, unit):
    """The cycle applies to 7 agencies of the small province (CCTDC included); one on site is
    1/7, under TT 26 Art. 33's third: recorded, with a warning that says how many are needed."""
    result = plan(
        session,
        rules,
        [PlanEntry("SNGV", "trực tiếp", month=5), PlanEntry("SCT", "hồ sơ", month=11)],
    )
    assert (result.added, result.coverage.required, result.coverage.onsite) == (2, 7, 1)
    (warning,) = result.warnings
    assert "1/7" in warning and "14,3%" in warning and "cần ít nhất 3" in warning
    assert session.exec(select(PlannedInspection)).all()  # written despite the warning
    # Two more on site reach 3/7 ≥ 1/3: the warning goes.
    more = plan(
        session,
        rules,
        [PlanEntry("TTDVDN", "onsite", on=date(2026, 6, 9)), PlanEntry("SKHCN", "onsite", month=9)],
    )
    assert (more.added, more.coverage.onsite, more.warnings) == (2, 3, [])


def test_required_agencies_follow_the_year_and_the_calendar_kinds(session, rules, unit):
    """HATINH's Văn phòng-less province: every kind of the calendar counts; a commune closed on
    30/6/2025 counts for 2025 and not for 2026."""
    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "parent_code", "active", "valid_from", "valid_to"],
        data=[["XCU", "UBND xã Cũ", "ubnd_xa", "HATINH", "0", "2018-01-01", "2025-06-30"]],
    )
    assert "XCU" in iso.required_codes(session=session, year=2025, rules=rules)
    assert "XCU" not in iso.required_codes(session=session, year=2026, rules=rules)


def test_a_bad_plan_is_refused_whole_naming_each_row(session, rules, unit):
    with pytest.raises(iso.IsoError) as caught:
        plan(
            session,
            rules,
            [
                PlanEntry("SNGV", "onsite", month=5),
                PlanEntry("KHONGCO", "onsite", month=5),
                PlanEntry("SCT", "bằng điện thoại", month=5),
                PlanEntry("TTDVDN", "hồ sơ", month=13),
                PlanEntry("SKHCN", "hồ sơ", on=date(2027, 1, 5)),
                PlanEntry("SNGV", "hồ sơ", month=6),
            ],
        )
    text = str(caught.value)
    assert "Dòng 2 (KHONGCO): Không có đơn vị mã «KHONGCO»" in text
    assert "Dòng 3 (SCT): Hình thức kiểm tra «bằng điện thoại» không có" in text
    assert "Dòng 4 (TTDVDN): Tháng dự kiến «13» phải từ 1 đến 12" in text
    assert "Dòng 5 (SKHCN): Ngày dự kiến 05/01/2027 không thuộc năm 2026" in text
    assert "Dòng 6 (SNGV): Đơn vị «SNGV» có hai lần" in text
    assert session.exec(select(iso.InspectionPlan)).all() == []
    assert session.exec(select(PlannedInspection)).all() == []


# --- the biên bản and the report-back step -------------------------------------------------------


def test_a_bien_ban_opens_the_report_back_step_two_months_later(session, rules, unit):
    plan(session, rules, [PlanEntry("SNGV", "onsite", month=5)])
    result = record(session, rules)
    assert (result.nominal_due, result.due) == (date(2026, 7, 14), date(2026, 7, 14))
    step = find_step(session=session, agency_code="SNGV", year=2026, key=result.step_key)
    assert step.key == "inspection_report:12/BB-TĐC" and step.state == "open"
    assert step.legal_basis == "TT 26/2014/TT-BKHCN Điều 37.2c"
    # The findings are the agency's, in an audit of kind "inspection", team = the unit's name.
    audit = session.exec(select(InternalAudit)).one()
    assert (audit.kind, audit.ref, audit.team) == (
        "inspection",
        "12/BB-TĐC",
        "Chi cục Tiêu chuẩn Đo lường Chất lượng",
    )
    summary = iso.audit_summary(session=session, agency_code="SNGV", year=2026)
    assert [f["number"] for f in summary["findings"]] == [1]
    # A corrective action on its finding defaults to the same two months.
    action = iso.add_action(
        session=session,
        agency_code="SNGV",
        year=2026,
        finding_number=1,
        owner_name="Nguyễn Thị Hà",
        owner_email=None,
        description="Cập nhật danh mục",
        actor="thuky",
        rules=ISO_RULES,
        working=rules.working,
    )
    assert action.due == date(2026, 7, 14)


@pytest.mark.parametrize(
    ("signed", "nominal", "due"),
    [
        # 31/12/2026 + 2 months → 28/2/2027, a Sunday → Monday 1/3/2027.
        (date(2026, 12, 31), date(2027, 2, 28), date(2027, 3, 1)),
        # 31/12/2027 + 2 months → 29/2/2028 (leap year), a Tuesday.
        (date(2027, 12, 31), date(2028, 2, 29), date(2028, 2, 29)),
        # 30/11/2026 + 2 months → 30/1/2027, a Saturday → Monday 1/2/2027.
        (date(2026, 11, 30), date(2027, 1, 30), date(2027, 2, 1)),
        # 5/12/2026 + 2 months → 5/2/2027, in Tết (4–10/2/2027) → Thursday 11/2/2027.
        (date(2026, 12, 5), date(2027, 2, 5), date(2027, 2, 11)),
    ],
)
def test_the_report_back_due_date_at_month_ends_leap_years_weekends_and_tet(
    session, rules, unit, signed, nominal, due
):
    if signed.year == 2027:
        open_cycle(session=session, year=2027, rules=rules)
    plan(session, rules, [PlanEntry("SCT", "onsite", month=12)], year=signed.year)
    result = record(session, rules, code="SCT", on=signed, today=signed)
    assert (result.nominal_due, result.due) == (nominal, due)
    step = find_step(session=session, agency_code="SCT", year=signed.year, key=result.step_key)
    assert (step.year, step.nominal_due, step.due) == (signed.year, nominal, due)


def test_a_bien_ban_is_refused_for_an_agency_not_in_the_plan_or_twice(session, rules, unit):
    plan(session, rules, [PlanEntry("SNGV", "onsite", month=5)])
    with pytest.raises(iso.IsoError, match="SCT không có trong kế hoạch kiểm tra năm 2026"):
        record(session, rules, code="SCT")
    with pytest.raises(iso.IsoError, match="Ngày biên bản 25/11/2026 là ngày trong tương lai"):
        record(session, rules, on=date(2026, 11, 25))
    with pytest.raises(iso.IsoError, match="Phát hiện 1: chưa nhập Bộ phận"):
        record(session, rules, findings=[FindingIn("nặng", "", "Thiếu")])
    assert session.exec(select(InternalAudit)).all() == []
    assert session.exec(select(Step).where(Step.step_type == "inspection_report")).all() == []
    record(session, rules)
    with pytest.raises(iso.IsoError, match="đã có biên bản 12/BB-TĐC"):
        record(session, rules, ref="13/BB-TĐC")


def test_the_report_back_is_done_by_the_agencys_report_never_by_hand(session, rules, unit):
    plan(session, rules, [PlanEntry("SNGV", "onsite", month=5)])
    result = record(session, rules)
    step = find_step(session=session, agency_code="SNGV", year=2026, key=result.step_key)
    with pytest.raises(ValueError, match="not by hand"):
        mark_done(
            session=session,
            step=step,
            done_on=date(2026, 7, 1),
            ref="x",
            note=None,
            actor="thuky",
            today=TODAY,
        )
    session.rollback()
    with pytest.raises(iso.IsoError, match="Ngày báo cáo 13/05/2026 trước ngày biên bản"):
        iso.record_report_back(
            session=session,
            agency_code="SNGV",
            year=2026,
            report_ref="88/BC-SNgV",
            report_on=date(2026, 5, 13),
            actor="thuky",
            today=TODAY,
        )
    iso.record_report_back(
        session=session,
        agency_code="SNGV",
        year=2026,
        report_ref="88/BC-SNgV",
        report_on=date(2026, 7, 20),
        actor="thuky",
        today=TODAY,
    )
    session.refresh(step)
    assert (step.state, step.done_on, step.ref) == ("done", date(2026, 7, 20), "88/BC-SNgV")
    (row,) = iso.agency_inspections(session=session, agency_code="SNGV", year=2026, today=TODAY)
    assert (row["status"], row["report_status"]) == ("done", "done_late")
    entities = {h.entity for h in session.exec(select(HistoryEntry)).all()}
    assert {"inspection_plan", "inspection", "inspection_report", "finding"} <= entities


def test_the_plan_shows_done_late_and_not_held(session, rules, unit):
    plan(
        session,
        rules,
        [
            PlanEntry("SNGV", "onsite", month=5),
            PlanEntry("SCT", "onsite", on=date(2026, 6, 10)),
            PlanEntry("TTDVDN", "dossier", month=9),
            PlanEntry("SKHCN", "dossier", month=12),
        ],
    )
    record(session, rules, code="SNGV", on=date(2026, 5, 29))
    record(session, rules, code="SCT", ref="20/BB-TĐC", on=date(2026, 6, 11))
    summary = iso.plan_summary(
        session=session, inspector_code="CCTDC", year=2026, today=TODAY, rules=rules
    )
    status = {r["agency"]: r["status"] for r in summary["inspections"]}
    assert status == {"SNGV": "done", "SCT": "late", "TTDVDN": "not_held", "SKHCN": "planned"}
    assert summary["counts"] == {"planned": 1, "not_held": 1, "done": 1, "late": 1}


# --- the reminder -------------------------------------------------------------------------------


def test_the_report_back_is_reminded_by_mail(session, rules, unit, settings, sink):
    """The report-back step rides the reminder engine: a week before its due date the agency's
    secretary gets a mail that names it and its date."""
    plan(session, rules, [PlanEntry("SNGV", "onsite", month=5)])
    record(session, rules, today=date(2026, 5, 14))
    run(session, smtp(settings, sink), rules, date(2026, 7, 7))  # Tuesday, 7 days before
    (mail,) = [
        m for m in sink.handler.to("thuky.sngv@hatinh.example") if "biên bản 12/BB-TĐC" in m.text
    ]
    assert "Báo cáo kết quả khắc phục sau kiểm tra (biên bản 12/BB-TĐC)" in mail.text
    assert "14/07/2026" in mail.text and "còn 7 ngày" in mail.text
    # Overdue on its 5th working day (15, 16, 17, 20, 21/7): escalated, the head copied.
    sink.handler.received.clear()
    run(session, smtp(settings, sink), rules, date(2026, 7, 21))
    (late,) = [
        m for m in sink.handler.to("thuky.sngv@hatinh.example") if "biên bản 12/BB-TĐC" in m.text
    ]
    assert late.rcpt_tos == ["thuky.sngv@hatinh.example", "giamdoc.sngv@hatinh.example"]
    assert str(late.message["Cc"]) == "giamdoc.sngv@hatinh.example"
    # Once the agency has reported, it is reminded no more.
    iso.record_report_back(
        session=session,
        agency_code="SNGV",
        year=2026,
        report_ref="88/BC-SNgV",
        report_on=date(2026, 7, 22),
        actor="thuky",
        today=date(2026, 7, 22),
    )
    sink.handler.received.clear()
    run(session, smtp(settings, sink), rules, date(2026, 7, 24))
    assert not [m for m in sink.handler.received if "biên bản 12/BB-TĐC" in m.text]


# --- the CLI ------------------------------------------------------------------------------------


def test_the_cli_plans_records_reports_and_shows_json(cli, session, rules, unit):
    out = cli(
        "inspections",
        "plan",
        "CCTDC",
        "2026",
        "--decision",
        "45/QĐ-SKHCN",
        "--decision-on",
        "20/01/2026",
        "--entry",
        "SNGV,trực tiếp,5",
        "--entry",
        "SCT,hồ sơ,2026-06-10",
    )
    assert out.exit_code == 0, out.output
    assert "Cảnh báo" in out.output and "1/7" in out.output
    rec = cli(
        "inspections",
        "record",
        "SNGV",
        "2026",
        "--ref",
        "12/BB-TĐC",
        "--on",
        "14/05/2026",
        "--finding",
        "nhẹ|Văn phòng|Thiếu sổ theo dõi|7.5",
        "--today",
        "2026-11-24",
    )
    assert rec.exit_code == 0, rec.output
    assert "14/07/2026" in rec.output
    rep = cli(
        "inspections",
        "report",
        "SNGV",
        "2026",
        "--ref",
        "88/BC-SNgV",
        "--on",
        "10/07/2026",
        "--today",
        "2026-11-24",
    )
    assert rep.exit_code == 0, rep.output
    shown = cli("inspections", "show", "CCTDC", "2026", "--json", "--today", "2026-11-24")
    data = json.loads(shown.stdout)
    assert data["decision"] == {"ref": "45/QĐ-SKHCN", "issued_on": "2026-01-20"}
    assert (data["required"], data["onsite"]) == (7, 1)
    by_code = {r["agency"]: r for r in data["inspections"]}
    assert by_code["SNGV"]["record_ref"] == "12/BB-TĐC"
    assert by_code["SNGV"]["report_status"] == "done"
    assert by_code["SCT"]["status"] == "not_held"
    agency = json.loads(cli("inspections", "agency", "SNGV", "2026", "--json").stdout)
    assert agency[0]["report_ref"] == "88/BC-SNgV"
    bad = cli("inspections", "record", "SCT", "2026", "--ref", "x", "--on", "31/02/2026")
    assert bad.exit_code != 0


# --- the JSON API and who may write what --------------------------------------------------------

PLAN = {
    "decision_ref": "45/QĐ-SKHCN",
    "decision_on": "2026-01-20",
    "entries": [
        {"agency": "SNGV", "form": "onsite", "month": 5},
        {"agency": "SCT", "form": "hồ sơ", "on": "2026-06-10"},
    ],
}
RECORD = {
    "record_ref": "12/BB-TĐC",
    "record_on": "2026-05-14",
    "findings": [{"severity": "nhẹ", "unit": "Văn phòng", "description": "Thiếu sổ theo dõi"}],
}
REPORT = {"report_ref": "88/BC-SNgV", "report_on": "2026-07-10"}


@pytest.fixture
def unit_tokens(session, unit, tokens):
    """The inspecting unit's secretary and Sở KH&CN's supervisor, besides the usual personas."""
    from models.users import create_user, issue_token
    from tests.web_support import PASSWORD

    out = dict(tokens)
    for username, role, code in (
        ("sec_cctdc", "secretary", "CCTDC"),
        ("sup_skhcn", "supervisor", "SKHCN"),
    ):
        user = create_user(
            session=session, username=username, password=PASSWORD, role=role, agency_code=code
        )
        out[username] = issue_token(session=session, user=user)
    return out


def api(client, method, path, token, body=None):
    from tests.web_support import bearer

    return client.request(method, f"/api/v1{path}", json=body, headers=bearer(token))


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("sec_cctdc", True),
        ("sup_skhcn", True),  # Sở KH&CN, above its Chi cục
        ("admin", True),
        ("sec_sngv", False),  # an inspected agency
        ("sup_sngv", False),
        ("view_all", False),  # sees everything, writes nothing
    ],
)
def test_only_the_inspecting_unit_records_the_plan_and_the_bien_ban(
    client, unit_tokens, persona, allowed
):
    token = unit_tokens[persona]
    put = api(client, "PUT", "/inspectors/CCTDC/plans/2026", token, PLAN)
    assert put.status_code == (200 if allowed else 403)
    if not allowed:  # the plan must exist for the biên bản to be refused for the right reason
        assert api(
            client, "PUT", "/inspectors/CCTDC/plans/2026", unit_tokens["admin"], PLAN
        ).is_success
    record = api(client, "POST", "/agencies/SNGV/cycles/2026/inspections/record", token, RECORD)
    assert record.status_code == (201 if allowed else 403)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("sec_sngv", True), ("admin", True), ("sec_cctdc", False), ("sec_sct", False)],
)
def test_only_the_agency_records_its_report_back(client, unit_tokens, persona, allowed):
    admin = unit_tokens["admin"]
    assert api(client, "PUT", "/inspectors/CCTDC/plans/2026", admin, PLAN).is_success
    path = "/agencies/SNGV/cycles/2026/inspections"
    assert (
        api(client, "POST", f"{path}/record", unit_tokens["sec_cctdc"], RECORD).status_code == 201
    )
    answer = api(client, "POST", f"{path}/report", unit_tokens[persona], REPORT)
    assert answer.status_code == (200 if allowed else 403)
    (row,) = api(client, "GET", path, admin).json()
    assert row["report_ref"] == ("88/BC-SNgV" if allowed else None)
    assert row["report_status"] == ("done" if allowed else "overdue")  # due 14/7, today 24/11


def test_the_api_reads_the_plan_with_its_warning_and_refuses_bad_input(client, unit_tokens):
    unit, sngv = unit_tokens["sec_cctdc"], unit_tokens["sec_sngv"]
    plan_out = api(client, "PUT", "/inspectors/CCTDC/plans/2026", unit, PLAN).json()
    assert (plan_out["required"], plan_out["planned"], plan_out["onsite"]) == (7, 2, 1)
    assert plan_out["decision"] == {"ref": "45/QĐ-SKHCN", "issued_on": "2026-01-20"}
    assert "dưới mức tối thiểu 1/3" in plan_out["warnings"][0]
    assert api(client, "GET", "/inspectors/CCTDC/plans/2026", sngv).status_code == 403
    assert api(client, "GET", "/agencies/SNGV/cycles/2026/inspections", sngv).status_code == 200
    bad = api(
        client,
        "PUT",
        "/inspectors/CCTDC/plans/2026",
        unit,
        {**PLAN, "entries": [{"agency": "<script>", "form": "onsite", "month": 5}]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["message"] == "Dòng 1 (<script>): Không có đơn vị mã «<script>»."
    refused = api(
        client,
        "POST",
        "/agencies/SNGV/cycles/2026/inspections/record",
        unit,
        {**RECORD, "findings": [{"severity": "khẩn", "unit": "VP", "description": "x"}]},
    )
    assert refused.status_code == 422 and "Phát hiện 1" in refused.json()["detail"]
    early = api(client, "POST", "/agencies/SNGV/cycles/2026/inspections/report", sngv, REPORT)
    assert early.status_code == 422 and "chưa có biên bản" in early.json()["detail"]


# --- the pages ----------------------------------------------------------------------------------


def _post(client, page_url, action, data):
    from tests.web_support import csrf_of

    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={**data, "csrf_token": csrf_of(page.text)})


def test_the_pages_plan_record_and_report_each_by_its_own_user(client, unit_tokens, session):
    from tests.web_support import login

    login(client, "sec_cctdc")
    plan_url = "/inspections/CCTDC/2026"
    added = _post(
        client,
        plan_url,
        f"{plan_url}/plan",
        {
            "decision_ref": "45/QĐ-SKHCN",
            "decision_on": "20/01/2026",
            "agency": "SNGV",
            "form": "onsite",
            "planned_month": "5",
        },
    )
    assert added.status_code == 303
    page = client.get(plan_url)
    assert (
        "Kiểm tra trực tiếp tại trụ sở" in page.text and "1/7 (14,3%; tối thiểu 1/3)" in page.text
    )
    assert "dưới mức tối thiểu 1/3" in page.text
    bad = _post(
        client,
        plan_url,
        f"{plan_url}/record",
        {"agency": "SNGV", "record_ref": "12/BB-TĐC", "record_on": "31/02/2026"},
    )
    assert bad.status_code == 422 and "Ngày biên bản" in bad.text
    recorded = _post(
        client,
        plan_url,
        f"{plan_url}/record",
        {
            "agency": "SNGV",
            "record_ref": "12/BB-TĐC",
            "record_on": "14/05/2026",
            "severity_1": "minor",
            "unit_1": "Văn phòng",
            "description_1": "Thiếu sổ theo dõi",
        },
    )
    assert recorded.status_code == 303
    assert "12/BB-TĐC ngày 14/05/2026" in client.get(plan_url).text
    # The inspecting unit cannot file the agency's report-back...
    agency_url = "/agencies/SNGV/2026/inspections"
    assert client.get(agency_url).status_code == 403
    client.post("/logout", data={"csrf_token": "x"})
    client.cookies.clear()
    # ...and the agency cannot record plans or biên bản, nor see the unit's plan page.
    login(client, "sec_sngv")
    assert client.get(plan_url).status_code == 403
    page = client.get(agency_url)
    assert "Báo cáo kết quả khắc phục" in page.text and "14/07/2026" in page.text
    from tests.web_support import csrf_of

    token = csrf_of(page.text)
    forged = client.post(
        f"{plan_url}/record",
        data={
            "agency": "SNGV",
            "record_ref": "99/BB",
            "record_on": "14/05/2026",
            "csrf_token": token,
        },
    )
    assert forged.status_code == 403
    done = client.post(
        f"{agency_url}/report",
        data={"report_ref": "88/BC-SNgV", "report_on": "10/07/2026", "csrf_token": token},
    )
    assert done.status_code == 303
    assert "Đã báo cáo khắc phục: 88/BC-SNgV ngày 10/07/2026" in client.get(agency_url).text
    step = find_step(
        session=session, agency_code="SNGV", year=2026, key="inspection_report:12/BB-TĐC"
    )
    session.refresh(step)
    assert (step.state, step.ref) == ("done", "88/BC-SNgV")


def test_every_inspection_history_entry_reads_as_vietnamese(session, rules, unit):
    """Plan, change of plan, biên bản, report-back and its correction: sentences, no raw keys."""
    from models.history_text import describe, history_names
    from tests.test_history_text import RAW

    plan(session, rules, [PlanEntry("SNGV", "onsite", month=5)])
    plan(session, rules, [PlanEntry("SNGV", "dossier", on=date(2026, 5, 12))])
    record(session, rules, on=date(2026, 5, 12))
    for ref in ("88/BC-SNgV", "89/BC-SNgV"):
        iso.record_report_back(
            session=session,
            agency_code="SNGV",
            year=2026,
            report_ref=ref,
            report_on=date(2026, 7, 1),
            actor="web:thuky",
            today=TODAY,
        )
    entries = session.exec(
        select(HistoryEntry).where(
            HistoryEntry.entity.in_(["inspection_plan", "inspection", "inspection_report"])
        )
    ).all()
    assert {(e.entity, e.action) for e in entries} == {
        ("inspection_plan", "planned"),
        ("inspection_plan", "updated"),
        ("inspection", "recorded"),
        ("inspection", "report_back_due"),
        ("inspection_report", "reported"),
        ("inspection_report", "updated"),
    }
    names = history_names(session, entries)
    told = {(e.entity, e.action): describe(e, names) for e in entries}
    for described in told.values():
        for text in (described.sentence, *(str(c) for c in described.changes)):
            assert not RAW.search(text), text
    assert "hạn 13/07/2026" in told[("inspection", "report_back_due")].sentence
    assert "«Báo cáo kết quả khắc phục sau kiểm tra (biên bản 12/BB-TĐC)»" in (
        told[("inspection", "report_back_due")].sentence
    )
    changed = [str(c) for c in told[("inspection_plan", "updated")].changes]
    assert changed == [
        "Hình thức kiểm tra: kiểm tra trực tiếp tại trụ sở → kiểm tra qua hồ sơ, báo cáo",
        "Ngày dự kiến: chưa có → 12/05/2026",
    ], changed


def test_the_cli_refuses_a_bad_plan_file_whole_naming_its_rows(cli, session, unit, tmp_path):
    path = tmp_path / "ke-hoach.csv"
    path.write_text(
        "Mã đơn vị;Hình thức;Tháng;Ngày\n"
        "SNGV;trực tiếp;5;\n"
        "SCT;hồ sơ;;31/02/2026\n"
        "TTDVDN;hồ sơ;mười;\n"
        "KHONGCO;hồ sơ;11;\n",
        encoding="utf-8",
    )
    args = ["inspections", "plan", "CCTDC", "2026", "--decision", "45/QĐ-SKHCN"]
    bad = cli(*args, "--decision-on", "20/01/2026", "--file", str(path))
    assert bad.exit_code == 1
    assert "dòng 3: ngày «31/02/2026» không hợp lệ" in bad.stderr
    assert "dòng 4: tháng «mười» không phải là số" in bad.stderr
    assert session.exec(select(PlannedInspection)).all() == []
    path.write_text(
        "Mã đơn vị;Hình thức;Tháng;Ngày\nSNGV;trực tiếp;5;\nKHONGCO;hồ sơ;11;\n",
        encoding="utf-8",
    )
    unknown = cli(*args, "--decision-on", "20/01/2026", "--file", str(path))
    assert unknown.exit_code == 1 and "Dòng 2 (KHONGCO): Không có đơn vị mã" in unknown.stderr
    assert session.exec(select(PlannedInspection)).all() == []
    path.write_text("Mã đơn vị;Hình thức;Tháng;Ngày\nSNGV;trực tiếp;5;\n", encoding="utf-8")
    assert cli(*args, "--decision-on", "20/01/2026", "--file", str(path)).exit_code == 0
    assert len(session.exec(select(PlannedInspection)).all()) == 1
