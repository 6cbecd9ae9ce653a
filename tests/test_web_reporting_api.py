"""The reporting API: who may send, receive, accept and return a report, checked on every call."""

from __future__ import annotations

import pytest

from models.cycles import find_step
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
