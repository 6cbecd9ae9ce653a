"""The reporting API: who may send, receive, accept and return a report, checked on every call."""

from __future__ import annotations

import pytest

from models.cycles import find_step, waive
from models.users import create_user, issue_token
from tests.test_reporting import PDF, docx_bytes
from tests.web_support import PASSWORD, bearer

LETTER = {
    "unit": "SKHCN",
    "letter_number": "1550/SKHCN-TĐC",
    "letter_date": "2026-11-11",
    "kind": "annual_report",
    "period": "15/12/2025-11/11/2026",
    "due": "2026-11-20",
    "outline": "Đề cương kèm công văn 1550",
    "recipient_kinds": ["so"],
}
REPORTS = "/api/v1/agencies/{code}/cycles/2026/reports"


@pytest.fixture
def skhcn(session, tokens, password_hash) -> dict[str, str]:
    """The receiving unit's secretary, and a viewer of it, besides the common personas."""
    out = dict(tokens)
    for username, role in [("sec_skhcn", "secretary"), ("view_skhcn", "viewer")]:
        user = create_user(
            session=session, username=username, password=PASSWORD, role=role, agency_code="SKHCN"
        )
        out[username] = issue_token(session=session, user=user)
    return out


def ask(client, tokens, who="sec_skhcn", body=None):
    return client.post("/api/v1/report-requests", json=body or LETTER, headers=bearer(tokens[who]))


def send(client, tokens, who="sec_sngv", code="SNGV", name="177-BC-SNgV.docx", data=None):
    return client.post(
        REPORTS.format(code=code),
        params={"step": "annual_report"},
        data={"number": "177/BC-SNgV", "report_date": "2026-11-17"},
        files={"file": (name, data if data is not None else docx_bytes(), "application/pdf")},
        headers=bearer(tokens[who]),
    )


def act(client, tokens, who, tail, body=None, code="SNGV"):
    return client.post(
        REPORTS.format(code=code) + "/" + tail,
        params={"step": "annual_report"},
        json=body,
        headers=bearer(tokens[who]),
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("sec_skhcn", 201), ("admin", 201), ("sec_sngv", 403), ("view_skhcn", 403)],
)
def test_only_the_unit_or_an_admin_sends_a_request_in_its_name(client, skhcn, who, status):
    answer = ask(client, skhcn, who)
    assert answer.status_code == status, answer.text
    if status == 201:
        body = answer.json()
        # 20/11/2026 is a Friday: the deadline stays.
        assert (body["due"], body["agencies"]) == ("2026-11-20", ["SCT", "SNGV"])
        assert body["period_label"] == "từ 15/12/2025 đến 11/11/2026"


@pytest.mark.parametrize(
    ("who", "status"),
    [("sec_sngv", 201), ("sup_sngv", 201), ("sec_sct", 403), ("sec_skhcn", 403), ("admin", 403)],
)
def test_only_the_agencys_own_users_send_its_report(client, skhcn, session, who, status):
    ask(client, skhcn)
    answer = send(client, skhcn, who)
    assert answer.status_code == status, answer.text
    if status == 201:
        assert answer.json()["status_label"] == "Đã gửi, chờ tiếp nhận"
    assert find_step(session=session, agency_code="SNGV", year=2026, key="annual_report").state == (
        "open"
    )


@pytest.mark.parametrize("who", ["sec_sngv", "sup_sngv", "sec_sct", "view_skhcn", "view_all"])
def test_only_the_receiving_unit_records_receipt_accepts_or_returns(client, skhcn, who):
    ask(client, skhcn)
    assert send(client, skhcn).status_code == 201
    for tail, body in [
        ("receipt", {"received_on": "2026-11-20"}),
        ("accept", None),
        ("return", {"comment": "Thiếu phụ lục"}),
    ]:
        answer = act(client, skhcn, who, tail, body)
        assert answer.status_code == 403, (tail, answer.text)
        assert "đơn vị nhận báo cáo" in answer.json()["detail"]


def test_the_sender_cannot_mark_the_report_step_done(client, skhcn, session):
    answer = client.post(
        "/api/v1/agencies/SNGV/cycles/2026/steps/annual_report/complete",
        json={"done_on": "2026-11-17", "ref": "177/BC-SNgV"},
        headers=bearer(skhcn["sec_sngv"]),
    )
    assert answer.status_code == 422
    assert "đơn vị nhận ghi nhận đã nhận được" in answer.json()["detail"]
    assert find_step(session=session, agency_code="SNGV", year=2026, key="annual_report").state == (
        "open"
    )


def test_receipt_completes_the_step_and_a_return_reopens_it(client, skhcn, session):
    ask(client, skhcn)
    send(client, skhcn)
    received = act(client, skhcn, "sec_skhcn", "receipt", {"received_on": "2026-11-20"})
    assert received.status_code == 200, received.text
    assert (received.json()["on_time"], received.json()["step_state"]) == (True, "done")
    returned = act(client, skhcn, "admin", "return", {"comment": "Thiếu Phụ lục IIA"})
    assert returned.json()["status"] == "returned"
    assert returned.json()["step_state"] == "open"
    assert returned.json()["late"] is True  # open after its deadline (today is 24/11/2026)
    session.expire_all()
    assert find_step(session=session, agency_code="SNGV", year=2026, key="annual_report").state == (
        "open"
    )
    assert send(client, skhcn, name="bao-cao.pdf", data=PDF).status_code == 201
    again = act(client, skhcn, "sec_skhcn", "receipt", {"received_on": "2026-11-23"})
    assert (again.json()["on_time"], again.json()["late"]) == (False, True)
    assert act(client, skhcn, "sec_skhcn", "accept").json()["status_label"] == "Đã chấp nhận"
    listed = client.get(
        "/api/v1/report-requests/SKHCN/reports",
        params={"letter": "1550/SKHCN-TĐC"},
        headers=bearer(skhcn["sec_skhcn"]),
    ).json()
    assert [(r["agency"], r["status"], r["late"]) for r in listed] == [
        ("SCT", None, True),
        ("SNGV", "accepted", True),
    ]
    assert (
        client.get(
            "/api/v1/report-requests/SKHCN/reports",
            params={"letter": "1550/SKHCN-TĐC"},
            headers=bearer(skhcn["sec_sngv"]),
        ).status_code
        == 403
    )


def test_the_file_goes_to_the_agency_and_the_unit_only(client, skhcn):
    ask(client, skhcn)
    send(client, skhcn, name="bao-cao.pdf", data=PDF)
    path = REPORTS.format(code="SNGV") + "/file"
    for who, status in [("sec_sngv", 200), ("sec_skhcn", 200), ("admin", 200), ("sec_sct", 403)]:
        answer = client.get(path, params={"step": "annual_report"}, headers=bearer(skhcn[who]))
        assert answer.status_code == status, who
        if status == 200:
            assert answer.content == PDF
            assert answer.headers["content-type"] == "application/pdf"
            assert answer.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("bao-cao.pdf", b"MZ\x90\x00 an executable", "không phải là tệp .pdf thật"),
        ("../../bao-cao.pdf", PDF, "không được chứa đường dẫn"),
        ("<img src=x onerror=alert(1)>.docx", PDF, "là tệp .pdf"),
    ],
)
def test_a_fake_or_hostile_file_is_refused_in_vietnamese(client, skhcn, session, name, data, words):
    ask(client, skhcn)
    answer = send(client, skhcn, name=name, data=data)
    assert answer.status_code == 422
    assert words in answer.json()["detail"]
    assert answer.json()["errors"][0]["field"] == "file"
    listed = client.get(REPORTS.format(code="SNGV"), headers=bearer(skhcn["sec_sngv"])).json()
    assert [r["status"] for r in listed if r["step"] == "annual_report"] == [None]


def test_a_file_over_the_settings_limit_is_refused(client, skhcn, app):
    app.state.settings.report_file_max_bytes = 1024
    ask(client, skhcn)
    answer = send(client, skhcn, name="bao-cao.pdf", data=PDF + b"0" * 4096)
    assert answer.status_code == 422
    assert (
        "quá giới hạn 0,0 MB" in answer.json()["detail"]
        or "quá giới hạn" in (answer.json()["detail"])
    )


# --- the chain of command ------------------------------------------------------------------------
# Reports go up the chain of command and only the overseer's units inspect: a secretary can
# neither name its own agency (or a friendly one) as the recipient of its report and so complete
# its report step itself, nor send other agencies a request letter, nor make itself their
# inspecting unit. Each attack below succeeded before the check (review of issue 11).


def _send_to(client, tokens, unit: str):
    return client.post(
        REPORTS.format(code="SNGV"),
        params={"step": "annual_report"},
        data={"number": "1/BC-SNgV", "report_date": "2026-11-17", "unit": unit},
        files={"file": ("bc.docx", docx_bytes(), "application/pdf")},
        headers=bearer(tokens["sec_sngv"]),
    )


def test_an_agency_cannot_send_its_report_to_itself_or_to_a_peer(client, skhcn, session):
    for unit in ("SNGV", "SCT"):
        answer = _send_to(client, skhcn, unit)
        assert answer.status_code == 422, answer.text
        assert "không nhận báo cáo của Sở Ngoại vụ" in answer.json()["detail"]
    assert act(client, skhcn, "sec_sngv", "receipt", {"received_on": "2026-11-18"}).status_code in (
        403,
        404,
        422,
    )
    step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
    assert step.state == "open"
    # To the overseer it goes, and the step waits for Sở KH&CN's receipt.
    assert _send_to(client, skhcn, "SKHCN").status_code == 201
    assert (
        act(client, skhcn, "sec_skhcn", "receipt", {"received_on": "2026-11-18"}).status_code == 200
    )
    session.refresh(step)
    assert step.state == "done"


def test_only_the_overseer_or_a_unit_above_asks_for_a_report(client, skhcn, session):
    body = dict(LETTER, unit="SCT", letter_number="9/SCT", agencies=["SNGV"], due="2026-12-31")
    answer = ask(client, skhcn, "sec_sct", body)
    assert answer.status_code == 422, answer.text
    assert "«SNGV» không thuộc đơn vị" in answer.json()["detail"]
    step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
    assert "Sở Công Thương" not in step.title
    # Asking by kind reaches only the unit's own agencies: none here, so nothing is asked.
    by_kind = dict(LETTER, unit="SCT", letter_number="10/SCT", agencies=[], recipient_kinds=["so"])
    assert ask(client, skhcn, "sec_sct", by_kind).status_code == 422
    assert ask(client, skhcn).status_code == 201  # Sở KH&CN asks anyone


def test_a_waived_report_step_is_not_turned_done_by_a_receipt(client, skhcn, session):
    assert ask(client, skhcn).status_code == 201
    assert send(client, skhcn).status_code == 201
    step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
    waive(session=session, step=step, reason="Sở KH&CN miễn báo cáo năm", actor="test")
    answer = act(client, skhcn, "sec_skhcn", "receipt", {"received_on": "2026-11-18"})
    assert answer.status_code == 422 and "đã được miễn" in answer.json()["detail"]
    session.refresh(step)
    assert step.state == "waived"


def test_a_department_cannot_make_itself_another_agency_s_inspector(client, tokens, session):
    headers = bearer(tokens["sec_sct"])
    plan = {
        "decision_ref": "1/QĐ-SCT",
        "decision_on": "2026-01-05",
        "entries": [{"agency": "SNGV", "form": "onsite", "month": 3}],
    }
    answer = client.put("/api/v1/inspectors/SCT/plans/2026", headers=headers, json=plan)
    assert answer.status_code == 422, answer.text
    assert "không phải đơn vị kiểm tra" in answer.json()["detail"]
    record = client.post(
        "/api/v1/agencies/SNGV/cycles/2026/inspections/record",
        headers=headers,
        json={"record_ref": "2/BB-SCT", "record_on": "2026-03-10", "findings": []},
    )
    assert record.status_code in (403, 404, 422)


def test_report_history_names_the_report_and_its_state_in_words(client, skhcn, session):  # noqa: F811
    from sqlmodel import select

    from models.history_text import describe, history_names
    from models.tables import HistoryEntry

    assert ask(client, skhcn).status_code == 201
    assert send(client, skhcn).status_code == 201
    assert (
        act(client, skhcn, "sec_skhcn", "receipt", {"received_on": "2026-11-18"}).status_code == 200
    )
    rows = session.exec(
        select(HistoryEntry).where(HistoryEntry.entity.in_(["report", "report_request"]))
    ).all()
    names = history_names(session, rows)
    told = [describe(r, names) for r in rows]
    text = " | ".join(t.sentence + " " + " ".join(str(c) for c in t.changes) for t in told)
    # It used to read "gửi báo cáo annual_report" and "Trạng thái báo cáo: submitted → received".
    assert "báo cáo năm" in text and "đã tiếp nhận" in text
    for raw in ("annual_report", "submitted", "received →", "→ received"):
        assert raw not in text, (raw, text)
