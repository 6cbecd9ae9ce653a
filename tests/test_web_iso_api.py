"""The JSON API for audits, findings, corrective actions and quality objectives."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.cycles import find_step
from models.iso import Finding, InternalAudit, QualityObjective
from tests.test_web_api import CASES, MATRIX
from tests.web_support import bearer

AUDIT = {
    "start_on": "2026-10-05",
    "end_on": "2026-10-07",
    "ref": "25/BC-ĐGNB",
    "team": "Nguyễn Văn An (trưởng đoàn)",
    "scope_units": ["Văn phòng", "Phòng Lãnh sự"],
    "findings": [
        {"severity": "major", "clause": "8.5.1", "unit": "Phòng Lãnh sự", "description": "Trễ hạn"},
        {"severity": "nhẹ", "clause": "7.5.3", "unit": "Văn phòng", "description": "Thiếu sổ"},
        {"severity": "lưu ý", "unit": "Văn phòng", "description": "Nên số hoá"},
    ],
}
OBJECTIVES = {
    "objectives": [
        {"indicator": "Hồ sơ giải quyết đúng hạn", "comparison": ">=", "target": 98, "unit": "%"},
        {"indicator": "Phản ánh, kiến nghị", "comparison": "<=", "target": 2, "unit": "vụ"},
    ]
}


def url(code: str, tail: str, year: int = 2026) -> str:
    return f"/api/v1/agencies/{code}/cycles/{year}/{tail}"


def record(client, token: str, code: str = "SNGV", body: dict | None = None):
    return client.post(url(code, "audits"), json=body or AUDIT, headers=bearer(token))


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_it_lets_each_role_read_only_its_agencies_records(client, tokens, persona, code):
    allowed = code in MATRIX[persona][0]
    headers = bearer(tokens[persona])
    audits = client.get(url(code, "audits"), headers=headers)
    objectives = client.get(url(code, "objectives"), headers=headers)
    assert (audits.status_code, objectives.status_code) == ((200, 200) if allowed else (403, 403))


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_it_lets_each_role_write_only_its_agencies_records(client, tokens, session, persona, code):
    allowed = code in MATRIX[persona][1]
    headers = bearer(tokens[persona])
    audit = record(client, tokens[persona], code)
    decision = client.put(
        url(code, "objectives/decision"),
        json={"ref": "12/QĐ", "issued_on": "2026-02-10"},
        headers=headers,
    )
    objectives = client.post(url(code, "objectives"), json=OBJECTIVES, headers=headers)
    expected = (201, 200, 201) if allowed else (403, 403, 403)
    assert (audit.status_code, decision.status_code, objectives.status_code) == expected
    session.expire_all()
    audits = session.exec(select(InternalAudit)).all()
    assert len(audits) == (1 if allowed else 0)
    assert len(session.exec(select(QualityObjective)).all()) == (2 if allowed else 0)
    if allowed:
        assert audits[0].created_by == f"api:{persona}"


@pytest.mark.parametrize("persona", ["sec_sct", "view_sngv", "view_all"])
def test_it_refuses_action_writes_outside_the_callers_agencies(client, tokens, persona):
    assert record(client, tokens["admin"]).status_code == 201
    headers = bearer(tokens[persona])
    opened = client.post(
        url("SNGV", "actions"),
        json={"finding": 1, "owner_name": "Lê Thị Hoa", "description": "Sửa quy trình"},
        headers=headers,
    )
    done = client.post(
        url("SNGV", "actions/1/done"), json={"done_on": "2026-11-02"}, headers=headers
    )
    verify = client.post(
        url("SNGV", "actions/1/verify"),
        json={"verified_on": "2026-11-20", "verified_by": "Trưởng ban", "effective": True},
        headers=headers,
    )
    results = client.post(
        url("SNGV", "objectives/results"), json={"results": [{"number": 1}]}, headers=headers
    )
    assert [r.status_code for r in (opened, done, verify, results)] == [403] * 4


def test_it_refuses_the_new_endpoints_without_a_token(client, tokens):
    assert client.get(url("SNGV", "audits")).status_code == 401
    assert client.post(url("SNGV", "audits"), json=AUDIT).status_code == 401
    assert client.get(url("SNGV", "objectives")).status_code == 401
    done = client.post(url("SNGV", "actions/1/done"), json={"done_on": "2026-11-02"})
    assert done.status_code == 401
    wrong = client.get(url("SNGV", "audits"), headers=bearer("isc_nope"))
    assert wrong.status_code == 401


def test_it_records_an_audit_with_findings_and_counts(client, tokens, session):
    response = record(client, tokens["sec_sngv"])
    assert response.status_code == 201
    body = response.json()
    assert body["counts"] == {"major": 1, "minor": 1, "observation": 1}
    assert [f["number"] for f in body["findings"]] == [1, 2, 3]
    assert body["findings"][1]["severity"] == "minor"  # "nhẹ" is a spelling of minor
    assert body["audits"][0]["scope_units"] == ["Văn phòng", "Phòng Lãnh sự"]
    step = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    assert (step.state, step.done_on.isoformat(), step.ref) == ("done", "2026-10-07", "25/BC-ĐGNB")
    shown = client.get(url("SNGV", "audits"), headers=bearer(tokens["view_sngv"])).json()
    assert shown["counts"] == body["counts"] and shown["actions"] == []


FINDING = AUDIT["findings"][0]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"findings": [FINDING, {**FINDING, "unit": " "}]},
            "findings.1.unit",
            "Phát hiện 2: chưa nhập Bộ phận.",
        ),
        (
            {"findings": [{**FINDING, "severity": "rất nặng"}]},
            "findings.0.severity",
            "Phát hiện 1: mức độ «rất nặng» không có trong danh mục; chọn một trong: "
            "không phù hợp nặng, không phù hợp nhẹ, điểm lưu ý.",
        ),
        (
            {"findings": [{**FINDING, "severity": ""}]},
            "findings.0.severity",
            "Phát hiện 1: chưa chọn Mức độ",
        ),
        (
            {"end_on": "2026-11-25"},
            "end_on",
            "Ngày kết thúc 25/11/2026 là ngày trong tương lai (hôm nay là 24/11/2026).",
        ),
        (
            {"start_on": "2025-12-31"},
            "start_on",
            "Ngày bắt đầu 31/12/2025 không thuộc năm 2026 của chu kỳ.",
        ),
        (
            {"end_on": "2026-10-01"},
            "end_on",
            "Ngày kết thúc 01/10/2026 trước ngày bắt đầu 05/10/2026.",
        ),
        ({"ref": "   "}, "ref", "Chưa nhập Số báo cáo / biên bản."),
        ({"ref": "25\x00/BC"}, "ref", "Số báo cáo / biên bản có ký tự điều khiển"),
        ({"start_on": "2026-02-30"}, None, "start_on"),
        ({"kind": "external"}, None, "kind"),
    ],
)
def test_it_refuses_a_bad_audit_naming_the_field_and_writes_nothing(
    client, tokens, session, change, field, words
):
    response = record(client, tokens["admin"], body={**AUDIT, **change})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str) and words in response.json()["detail"]
    if field is not None:  # a refusal of the models: each field's path and Vietnamese message
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field]
        assert words in errors[0]["message"]
    session.expire_all()
    assert session.exec(select(InternalAudit)).all() == []
    assert session.exec(select(Finding)).all() == []
    step = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    assert step.state == "open"


def test_it_answers_404_for_an_unknown_agency_or_action(client, tokens):
    headers = bearer(tokens["admin"])
    assert client.get(url("NOPE", "audits"), headers=headers).status_code == 404
    assert record(client, tokens["admin"], "NOPE").status_code == 404
    missing = client.post(
        url("SNGV", "actions/7/done"), json={"done_on": "2026-11-02"}, headers=headers
    )
    assert missing.status_code == 404 and "#7" in missing.json()["detail"]


def test_it_carries_an_action_through_done_and_verified(client, tokens, session):
    headers = bearer(tokens["sec_sngv"])
    assert record(client, tokens["sec_sngv"]).status_code == 201
    opened = client.post(
        url("SNGV", "actions"),
        json={
            "finding": 1,
            "owner_name": "Lê Thị Hoa",
            "owner_email": "hoa@sngv.example",
            "description": "Sửa quy trình cấp hộ chiếu",
        },
        headers=headers,
    )
    assert opened.status_code == 201
    # 07/10 + 30 days = 06/11/2026, a Friday.
    assert (opened.json()["number"], opened.json()["due"]) == (1, "2026-11-06")
    assert (opened.json()["status"], opened.json()["days_overdue"]) == ("overdue", 18)
    done = client.post(
        url("SNGV", "actions/1/done"), json={"done_on": "2026-11-09"}, headers=headers
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["days_late"]) == ("awaiting_verification", 3)
    verified = client.post(
        url("SNGV", "actions/1/verify"),
        json={"verified_on": "2026-11-20", "verified_by": "Trưởng ban ISO", "effective": True},
        headers=headers,
    )
    assert verified.status_code == 200 and verified.json()["status"] == "closed"
    step = find_step(session=session, agency_code="SNGV", year=2026, key="corrective_actions")
    assert (step.state, step.done_on.isoformat()) == ("done", "2026-11-20")


def test_it_refuses_bad_action_input_naming_the_field(client, tokens):
    headers = bearer(tokens["admin"])
    assert record(client, tokens["admin"]).status_code == 201
    action = {"finding": 1, "owner_name": "Hoa", "description": "Sửa"}
    far = client.post(url("SNGV", "actions"), json={**action, "due": "9999-12-31"}, headers=headers)
    assert far.status_code == 422 and "due" in far.json()["detail"]
    early = client.post(
        url("SNGV", "actions"), json={**action, "due": "2026-01-02"}, headers=headers
    )
    assert early.status_code == 422
    assert early.json()["errors"] == [
        {
            "field": "due",
            "message": "Hạn hoàn thành 02/01/2026 trước cuộc đánh giá 25/BC-ĐGNB (05/10/2026); "
            "hành động không thể đến hạn trước khi phát hiện.",
        }
    ]
    unknown = client.post(url("SNGV", "actions"), json={**action, "finding": 9}, headers=headers)
    assert unknown.status_code == 422 and "không có phát hiện #9" in unknown.json()["detail"]
    email = client.post(
        url("SNGV", "actions"), json={**action, "owner_email": "not-mail"}, headers=headers
    )
    assert email.status_code == 422 and "E-mail người phụ trách" in email.json()["detail"]
    assert client.post(url("SNGV", "actions"), json=action, headers=headers).status_code == 201
    unverified = client.post(
        url("SNGV", "actions/1/verify"),
        json={"verified_on": "2026-11-20", "verified_by": "X", "effective": True},
        headers=headers,
    )
    assert unverified.status_code == 422 and "chưa được thực hiện" in unverified.json()["detail"]


def test_it_records_objectives_and_computes_achievement(client, tokens, session):
    headers = bearer(tokens["sec_sngv"])
    decision = client.put(
        url("SNGV", "objectives/decision"),
        json={"ref": "12/QĐ-SNgV", "issued_on": "2026-02-10"},
        headers=headers,
    )
    assert decision.status_code == 200
    assert decision.json()["decision"] == {"ref": "12/QĐ-SNgV", "issued_on": "2026-02-10"}
    added = client.post(url("SNGV", "objectives"), json=OBJECTIVES, headers=headers)
    assert added.status_code == 201
    assert [o["achieved"] for o in added.json()["objectives"]] == [None, None]
    results = client.post(
        url("SNGV", "objectives/results"),
        json={
            "results": [
                {"number": 1, "mid_value": 97.5, "final_value": 98},
                {"number": 2, "final_value": 3},
            ],
            "results_on": "2026-11-23",
        },
        headers=headers,
    )
    assert results.status_code == 200
    got = results.json()["objectives"]
    assert [(o["achieved"], o["mid_on_track"]) for o in got] == [(True, False), (False, None)]
    review = find_step(session=session, agency_code="SNGV", year=2026, key="objectives_review")
    assert (review.state, review.done_on.isoformat()) == ("done", "2026-11-23")
    shown = client.get(url("SNGV", "objectives"), headers=bearer(tokens["view_all"])).json()
    assert shown["objectives"] == got


@pytest.mark.parametrize(
    ("tail", "body", "words"),
    [
        (
            "objectives",
            {"objectives": [{"indicator": "X", "comparison": "~", "target": 1}]},
            "Mục tiêu 1: so sánh «~» không có",
        ),
        (
            "objectives",
            {"objectives": [{"indicator": " ", "comparison": ">=", "target": 1}]},
            "Mục tiêu 1: chưa nhập Chỉ tiêu.",
        ),
        ("objectives", {"objectives": []}, "objectives"),
        (
            "objectives/results",
            {"results": [{"number": 5, "final_value": 1}]},
            "không có mục tiêu #5",
        ),
        ("objectives/results", {"results": [{"number": 1}, {"number": 1}]}, "twice"),
    ],
)
def test_it_refuses_bad_objectives_naming_the_field(client, tokens, session, tail, body, words):
    response = client.post(url("SNGV", tail), json=body, headers=bearer(tokens["admin"]))
    assert response.status_code == 422 and words in response.json()["detail"]
    session.expire_all()
    assert session.exec(select(QualityObjective)).all() == []


def test_it_refuses_a_decision_dated_tomorrow(client, tokens, session):
    response = client.put(
        url("SNGV", "objectives/decision"),
        json={"ref": "12/QĐ", "issued_on": "2026-11-25"},
        headers=bearer(tokens["admin"]),
    )
    assert response.status_code == 422 and "Ngày ban hành 25/11/2026" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "issued_on"
    step = find_step(session=session, agency_code="SNGV", year=2026, key="quality_objectives")
    assert step.state == "open"


def test_it_lists_the_new_endpoints_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for tail in ("audits", "actions/{number}/done", "actions/{number}/verify", "objectives"):
        assert f"/api/v1/agencies/{{code}}/cycles/{{year}}/{tail}" in paths
