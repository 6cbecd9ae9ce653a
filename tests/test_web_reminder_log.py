"""Each agency's page links a log of its reminders and their mails, failed deliveries included."""

from __future__ import annotations

from datetime import date

from tests.test_reminders import run, smtp
from tests.web_support import login


def test_it_shows_sent_and_failed_mails_to_those_who_may_see_them(
    client, tokens, session, settings, rules, sink
):
    sink.handler.refuse["thuky.sct@hatinh.example"] = "550 5.1.1 Mailbox unknown"
    run(session, smtp(settings, sink), rules, date(2026, 10, 27))

    login(client, "sec_sct")
    page = client.get("/agencies/SCT/reminders")
    assert page.status_code == 200
    assert "Gửi thất bại" in page.text
    assert "550 5.1.1 Mailbox unknown" in page.text
    assert "Đánh giá nội bộ" in page.text and "15/10/2026" in page.text
    assert "1 thư chưa gửi được" in page.text
    assert client.get("/agencies/SNGV/reminders").status_code == 403

    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV/reminders")
    assert "Đã gửi" in page.text and "thuky.sngv@hatinh.example" in page.text
    assert "Gửi thất bại" not in page.text
    assert 'href="/agencies/SNGV/reminders"' in client.get("/agencies/SNGV").text
