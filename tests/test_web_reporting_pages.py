"""Report pages: the agency sends, the receiving unit records receipt, accepts or returns."""

from __future__ import annotations

import html

from models.cycles import find_step
from tests.test_reporting import PDF, docx_bytes
from tests.test_web_reporting_api import LETTER, ask, skhcn  # noqa: F401  (fixture)
from tests.web_support import csrf_of, login

LETTER_PAGE = "/reports/letter?unit=SKHCN&letter=1550%2FSKHCN-T%C4%90C"


def send_form(client, name="177-BC-SNgV.docx", data=None, agency="SNGV", csrf=None):
    page = client.get("/reports")
    return client.post(
        "/reports/submit",
        data={
            "csrf_token": csrf or csrf_of(page.text),
            "agency": agency,
            "year": "2026",
            "step": "annual_report",
            "number": "177/BC-SNgV",
            "report_date": "17/11/2026",
        },
        files={"file": (name, data if data is not None else docx_bytes(), "application/pdf")},
    )


def decide(client, action, **fields):
    page = client.get("/reports")
    return client.post(
        "/reports/decide",
        data={
            "csrf_token": csrf_of(page.text),
            "agency": "SNGV",
            "year": "2026",
            "step": "annual_report",
            "letter": "1550/SKHCN-TĐC",
            "action": action,
            **fields,
        },
    )


def state(session) -> str:
    session.expire_all()
    return find_step(session=session, agency_code="SNGV", year=2026, key="annual_report").state


def test_the_agency_sends_and_the_unit_receives_then_returns(client, skhcn, session):  # noqa: F811
    ask(client, skhcn)
    login(client, "sec_sngv")
    page = client.get("/reports")
    assert page.status_code == 200 and "Gửi báo cáo" in page.text
    assert "Báo cáo năm gửi Sở Khoa học và Công nghệ" in page.text
    sent = send_form(client)
    assert sent.status_code == 303
    after = client.get("/reports").text
    assert "Đã gửi báo cáo; bước hoàn thành khi đơn vị nhận ghi nhận đã nhận." in after
    assert "Đã gửi, chờ tiếp nhận" in after and "177-BC-SNgV.docx" in after
    assert state(session) == "open"
    # The agency cannot see the letter's list, nor record receipt of its own report.
    assert client.get(LETTER_PAGE).status_code == 403
    assert decide(client, "receipt", received_on="20/11/2026").status_code == 403
    assert state(session) == "open"

    login(client, "sec_skhcn")
    listed = client.get(LETTER_PAGE)
    assert listed.status_code == 200
    assert "Sở Công Thương" in listed.text and "quá hạn" in listed.text  # SCT has sent nothing
    assert decide(client, "receipt", received_on="20/11/2026").status_code == 303
    assert state(session) == "done"
    page = client.get(LETTER_PAGE).text
    assert "Đã ghi nhận đã nhận báo cáo của Sở Ngoại vụ." in page
    assert "20/11/2026 · đúng hạn" in page
    assert decide(client, "return", comment="Thiếu Phụ lục IIA").status_code == 303
    assert state(session) == "open"
    assert "bước báo cáo được mở lại" in client.get(LETTER_PAGE).text

    login(client, "sec_sngv")
    page = client.get("/reports").text
    assert "Trả lại để chỉnh sửa" in page and "Ý kiến: Thiếu Phụ lục IIA" in page
    assert "Gửi lại báo cáo" in page
    assert send_form(client, name="bao-cao.pdf", data=PDF).status_code == 303
    assert "bao-cao.pdf" in client.get("/reports").text


def test_a_fake_file_is_refused_with_a_vietnamese_message(client, skhcn, session):  # noqa: F811
    ask(client, skhcn)
    login(client, "sec_sngv")
    assert send_form(client, name="bao-cao.pdf", data=b"not a pdf at all").status_code == 303
    page = html.unescape(client.get("/reports").text)
    assert "Lỗi: Nội dung tệp «bao-cao.pdf» không phải là tệp .pdf thật" in page
    assert "Đã gửi, chờ tiếp nhận" not in page


def test_only_the_agencys_own_users_send_and_csrf_is_checked(client, skhcn, session):  # noqa: F811
    ask(client, skhcn)
    login(client, "sec_sct")
    assert send_form(client).status_code == 403
    login(client, "admin")
    assert send_form(client).status_code == 403
    login(client, "sec_sngv")
    assert send_form(client, csrf="x" * 40).status_code == 403
    assert state(session) == "open"


def test_the_step_form_refuses_the_sender_completing_the_report(client, skhcn, session):  # noqa: F811
    login(client, "sec_sngv")
    url = "/agencies/SNGV/2026/steps/annual_report"
    form = client.get(url)
    answer = client.post(
        url,
        data={"csrf_token": csrf_of(form.text), "done_on": "20/11/2026", "ref": "177/BC-SNgV"},
    )
    assert answer.status_code == 422
    assert "báo cáo được tính là đã gửi khi đơn vị nhận ghi nhận đã nhận được" in html.unescape(
        answer.text
    )
    assert state(session) == "open"


def test_the_one_click_link_of_a_report_step_leads_to_the_report_page(client, skhcn, session):  # noqa: F811
    # A reminder's link for a report step used to open a completion form that could only fail.
    from datetime import UTC, datetime

    from notifications.links import step_link

    settings = client.app.state.settings
    step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
    url = step_link(settings, step.id, datetime(2026, 11, 24, 3, tzinfo=UTC))
    page = client.get("/" + url.split("//", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Ghi nhận hoàn thành" not in text and 'name="done_on"' not in text
    assert "đơn vị nhận ghi nhận đã nhận được" in text and 'href="/reports"' in text
    login(client, "sec_sngv")
    form = html.unescape(client.get("/agencies/SNGV/2026/steps/annual_report").text)
    assert "Mở trang Báo cáo" in form and 'name="done_on"' not in form
