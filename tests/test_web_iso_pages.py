"""The secretary's pages for audits, corrective actions, objectives and the management review."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from models.cycles import find_step
from models.iso import CorrectiveAction, Finding, InternalAudit, ManagementReview, QualityObjective
from tests.web_support import csrf_of, login

AUDITS = "/agencies/SNGV/2026/audits"
AUDIT_FORM = {
    "kind": "internal",
    "start_on": "2026-10-05",
    "end_on": "2026-10-07",
    "ref": "25/BC-ĐGNB",
    "team": "Nguyễn Văn An",
    "scope_units": "Văn phòng; Phòng Lãnh sự",
    "severity_1": "major",
    "clause_1": "8.5.1",
    "unit_1": "Phòng Lãnh sự",
    "description_1": "Hồ sơ trễ hạn không có phiếu xin lỗi",
    "severity_2": "observation",
    "unit_2": "Văn phòng",
    "description_2": "Nên số hoá sổ theo dõi",
    # rows 3-5 left blank, as a browser sends them
    **{f"{k}_{n}": "" for n in (3, 4, 5) for k in ("clause", "unit", "description")},
    **{f"severity_{n}": "" for n in (3, 4, 5)},  # "— chọn mức độ —"
}


def signed_in(client, username: str = "sec_sngv", page: str = AUDITS) -> str:
    login(client, username)
    response = client.get(page)
    assert response.status_code == 200
    return csrf_of(response.text)


def post(client, path: str, csrf: str, data: dict[str, str]):
    return client.post(path, data={**data, "csrf_token": csrf})


def record_audit(client, csrf: str) -> None:
    response = post(client, AUDITS, csrf, AUDIT_FORM)
    assert response.status_code == 303 and response.headers["location"] == AUDITS


def test_it_links_the_records_pages_from_the_cycle_page(client, tokens):
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV?year=2026").text
    row = re.search(r'<tr [^>]*data-step="internal_audit">.*?</tr>', page, re.S)
    assert row and 'href="/agencies/SNGV/2026/audits"' in row.group(0)
    review = re.search(r'<tr [^>]*data-step="management_review">.*?</tr>', page, re.S)
    assert review and 'href="/agencies/SNGV/2026/review"' in review.group(0)
    assert 'href="/agencies/SNGV/2026/objectives"' in page


def test_it_records_an_audit_with_several_findings_from_one_form(client, tokens, session):
    csrf = signed_in(client)
    record_audit(client, csrf)
    page = client.get(AUDITS).text
    assert "Đã ghi nhận cuộc đánh giá 25/BC-ĐGNB với 2 phát hiện" in page
    counts = dict(re.findall(r'data-severity="(\w+)">(\d+)<', page))
    assert counts == {"major": "1", "minor": "0", "observation": "1"}
    findings = session.exec(select(Finding).order_by(Finding.number)).all()
    assert [(f.number, f.severity, f.clause) for f in findings] == [
        (1, "major", "8.5.1"),
        (2, "observation", None),
    ]
    step = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    assert (step.state, step.done_by) == ("done", "web:sec_sngv")


def test_it_refuses_a_finding_without_a_unit_and_keeps_the_form(client, tokens, session):
    csrf = signed_in(client)
    response = post(client, AUDITS, csrf, {**AUDIT_FORM, "unit_2": "  "})
    assert response.status_code == 422
    assert "Phát hiện 2: chưa nhập Bộ phận." in response.text
    assert 'value="25/BC-ĐGNB"' in response.text  # what was typed is kept
    session.expire_all()
    assert session.exec(select(InternalAudit)).all() == []
    assert session.exec(select(Finding)).all() == []


def test_it_refuses_a_post_without_the_csrf_token(client, tokens, session):
    signed_in(client)
    response = client.post(AUDITS, data=AUDIT_FORM)
    assert response.status_code == 403 and "CSRF" in response.text
    wrong = client.post(AUDITS, data={**AUDIT_FORM, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert session.exec(select(InternalAudit)).all() == []


@pytest.mark.parametrize(
    "path",
    [
        "/agencies/SCT/2026/audits",
        "/agencies/SCT/2026/actions",
        "/agencies/SCT/2026/actions/1/done",
        "/agencies/SCT/2026/actions/1/verify",
        "/agencies/SCT/2026/objectives",
        "/agencies/SCT/2026/objectives/decision",
        "/agencies/SCT/2026/objectives/results",
        "/agencies/SCT/2026/review",
    ],
)
def test_it_answers_403_to_a_secretary_on_another_agencys_records(client, tokens, session, path):
    csrf = signed_in(client)
    response = post(client, path, csrf, AUDIT_FORM)
    assert response.status_code == 403
    if path.endswith(("audits", "objectives", "review")):
        assert client.get(path).status_code == 403
    assert session.exec(select(InternalAudit)).all() == []


def test_it_shows_records_read_only_to_a_viewer(client, tokens):
    login(client, "view_sngv")
    page = client.get(AUDITS)
    assert page.status_code == 200 and "Ghi nhận cuộc đánh giá" not in page.text
    csrf = csrf_of(page.text)
    assert post(client, AUDITS, csrf, AUDIT_FORM).status_code == 403


def test_it_opens_completes_and_verifies_a_corrective_action(client, tokens, session):
    csrf = signed_in(client)
    record_audit(client, csrf)
    opened = post(
        client,
        "/agencies/SNGV/2026/actions",
        csrf,
        {"finding": "1", "description": "Bổ sung phiếu xin lỗi", "owner_name": "Lê Thị Hoa"},
    )
    assert opened.status_code == 303
    assert "hạn 06/11/2026" in client.get(AUDITS).text  # 07/10 + 30 days, a Friday
    done = post(client, "/agencies/SNGV/2026/actions/1/done", csrf, {"done_on": "2026-11-05"})
    assert done.status_code == 303
    verified = post(
        client,
        "/agencies/SNGV/2026/actions/1/verify",
        csrf,
        {"verified_on": "2026-11-20", "verified_by": "Trưởng ban ISO", "effective": "yes"},
    )
    assert verified.status_code == 303
    page = client.get(AUDITS).text
    assert "Đã đóng" in page and "Trưởng ban ISO · có hiệu lực" in page
    session.expire_all()
    action = session.exec(select(CorrectiveAction)).one()
    assert (action.done_on.isoformat(), action.effective) == ("2026-11-05", True)
    step = find_step(session=session, agency_code="SNGV", year=2026, key="corrective_actions")
    assert step.state == "done"


def test_it_refuses_an_action_done_in_the_future(client, tokens, session):
    csrf = signed_in(client)
    record_audit(client, csrf)
    post(
        client,
        "/agencies/SNGV/2026/actions",
        csrf,
        {"finding": "2", "description": "Số hoá", "owner_name": "Hoa"},
    )
    response = post(client, "/agencies/SNGV/2026/actions/1/done", csrf, {"done_on": "25/11/2026"})
    assert response.status_code == 422
    assert "Ngày hoàn thành 25/11/2026 là ngày trong tương lai (hôm nay là 24/11/2026)." in (
        response.text
    )
    session.expire_all()
    assert session.exec(select(CorrectiveAction)).one().done_on is None


OBJECTIVES = "/agencies/SNGV/2026/objectives"


def test_it_records_objectives_and_shows_achievement(client, tokens, session):
    csrf = signed_in(client, page=OBJECTIVES)
    decision = post(
        client, f"{OBJECTIVES}/decision", csrf, {"ref": "12/QĐ-SNgV", "issued_on": "10/02/2026"}
    )
    assert decision.status_code == 303
    rows = {
        "indicator_1": "Hồ sơ giải quyết đúng hạn",
        "comparison_1": ">=",
        "target_1": "98%",
        "unit_1": "%",
        "indicator_2": "Phản ánh, kiến nghị",
        "comparison_2": "<=",
        "target_2": "2",
        "unit_2": "vụ",
        "comparison_3": ">=",
    }
    assert post(client, OBJECTIVES, csrf, rows).status_code == 303
    results = post(
        client,
        f"{OBJECTIVES}/results",
        csrf,
        {"mid_1": "97,5", "final_1": "98,2", "mid_2": "", "final_2": "3", "results_on": ""},
    )
    assert results.status_code == 303
    page = client.get(OBJECTIVES).text
    assert "Quyết định số <b>12/QĐ-SNgV</b> ngày 10/02/2026" in page
    achieved = re.findall(r'class="achieved"[^>]*><span class="badge \w+">([^<]+)<', page)
    assert achieved == ["Đạt", "Không đạt"]
    session.expire_all()
    objectives = session.exec(select(QualityObjective).order_by(QualityObjective.number)).all()
    assert [(o.target, o.final_value) for o in objectives] == [(98.0, 98.2), (2.0, 3.0)]
    # Every final value is in: objectives_review is done, dated today.
    step = find_step(session=session, agency_code="SNGV", year=2026, key="objectives_review")
    assert (step.state, step.done_on.isoformat()) == ("done", "2026-11-24")


def test_it_refuses_an_objective_without_a_numeric_target(client, tokens, session):
    csrf = signed_in(client, page=OBJECTIVES)
    response = post(
        client,
        OBJECTIVES,
        csrf,
        {"indicator_1": "Hồ sơ đúng hạn", "comparison_1": ">=", "target_1": "cao"},
    )
    assert (
        response.status_code == 422
        and "Mục tiêu 1: giá trị mục tiêu «cao» không phải là số." in (response.text)
    )
    assert session.exec(select(QualityObjective)).all() == []


REVIEW = "/agencies/SNGV/2026/review"


def test_it_prefills_the_review_and_warns_when_held_before_the_audit(client, tokens, session):
    csrf = signed_in(client)
    record_audit(client, csrf)
    page = client.get(REVIEW).text
    assert "05/10/2026 → 07/10/2026" in page and "không phù hợp nặng: 1" in page
    early = {"held_on": "2026-09-15", "minutes_ref": "05/BB-SNgV", "decisions": "Duy trì"}
    reason = "Họp theo lịch của UBND tỉnh, trước đợt đánh giá"
    accepted = post(client, REVIEW, csrf, {**early, "override_reason": reason})
    assert accepted.status_code == 303
    page = client.get(REVIEW).text
    assert reason in page and "15/09/2026" in page
    assert "Lưu ý: Cuộc họp xem xét ngày 15/09/2026 diễn ra trước đánh giá nội bộ" in page
    session.expire_all()
    review = session.exec(select(ManagementReview)).one()
    assert review.override_reason == reason and review.inputs["audit"]["findings"]["major"] == 1


def test_it_shows_a_script_in_a_finding_as_text(client, tokens):
    csrf = signed_in(client)
    record_audit_form = {**AUDIT_FORM, "description_1": "<script>alert(1)</script>"}
    assert post(client, AUDITS, csrf, record_audit_form).status_code == 303
    page = client.get(AUDITS).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_it_counts_findings_by_severity_on_the_dashboard(client, tokens):
    csrf = signed_in(client)
    record_audit(client, csrf)
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    total = re.search(r"<tr data-severity-total>.*?</tr>", page, re.S)
    assert total is not None
    assert re.findall(r'data-severity="(\w+)"><b>(\d+)<', total.group(0)) == [
        ("major", "1"),
        ("minor", "0"),
        ("observation", "1"),
    ]
    assert 'data-severity-agency="SNGV"' in page
    client.cookies.clear()
    login(client, "sec_sct")
    assert 'data-severity-agency="SNGV"' not in client.get("/dashboard?year=2026").text


def test_it_refuses_a_huge_action_number_without_a_server_error(client, tokens, session):
    csrf = signed_in(client)
    record_audit(client, csrf)
    huge = "99999999999999999999"
    done = post(client, f"/agencies/SNGV/2026/actions/{huge}/done", csrf, {"done_on": "2026-11-02"})
    assert done.status_code == 422 and "#0" in done.text
    opened = post(
        client,
        "/agencies/SNGV/2026/actions",
        csrf,
        {"finding": huge, "description": "Sửa", "owner_name": "Hoa"},
    )
    assert opened.status_code == 422 and "hãy chọn một phát hiện" in opened.text
    assert session.exec(select(CorrectiveAction)).all() == []


def test_it_names_the_records_in_the_cycle_history(client, tokens):
    csrf = signed_in(client)
    record_audit(client, csrf)
    page = client.get("/agencies/SNGV?year=2026").text
    assert "sec_sngv ghi nhận cuộc đánh giá nội bộ 25/BC-ĐGNB ngày " in page
    assert "sec_sngv ghi nhận phát hiện #2 (" in page
    assert "scope_units" not in page and "{" not in page.split("<h2>Lịch sử thay đổi</h2>")[1]


def test_a_finding_row_has_no_default_severity_and_an_unchosen_one_is_named(
    client, tokens, session
):
    csrf = signed_in(client)
    form = client.get(AUDITS).text
    select_1 = re.search(r'<select name="severity_1".*?</select>', form, re.S)
    assert select_1 and '<option value="">— chọn mức độ —</option>' in select_1.group(0)
    assert "selected" not in select_1.group(0)  # never "không phù hợp nặng" by default
    # Rows 1-2 left blank, row 3 filled without choosing a severity: named as the form's row 3.
    blank = {f"{k}_{n}": "" for n in range(1, 6) for k in ("severity", "clause", "unit")}
    blank |= {f"description_{n}": "" for n in range(1, 6)}
    row_3 = {"unit_3": "Văn phòng", "description_3": "Sổ theo dõi chưa cập nhật"}
    base = {k: v for k, v in AUDIT_FORM.items() if not k[-1].isdigit()}
    response = post(client, AUDITS, csrf, {**base, **blank, **row_3})
    assert response.status_code == 422
    assert "Phát hiện 3: chưa chọn Mức độ; chọn một trong: không phù hợp nặng" in response.text
    alert = response.text.split('role="alert">')[1].split("</p>")[0]
    assert "severity" not in alert and "major" not in alert
    session.expire_all()
    assert session.exec(select(Finding)).all() == []
