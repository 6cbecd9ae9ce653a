"""Each agency's page links a log of its reminders and their mails, failed deliveries included."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from flows import jobs
from models import jobs as job_runs
from models.reminders import PolicyError
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


def test_a_failed_reminder_pass_is_shown_with_its_retry_time(client, tokens, settings, tmp_path):
    """A pass that failed concerns every agency: its log says so, when, why and when the
    scheduler tries again; once a later run succeeds the notice is gone."""
    broken = settings.model_copy(update={"reminder_policy_file": tmp_path / "missing.toml"})
    with pytest.raises(PolicyError):
        jobs.run_recorded("send-reminders", broken, runner="test")
    with Session(client.app.state.engine) as s:
        job_runs.set_retry(
            session=s, job="send-reminders", at=datetime(2026, 11, 24, 3, 5, tzinfo=UTC)
        )
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV/reminders").text
    assert "Lượt nhắc việc hằng ngày lúc" in page and "bị lỗi" in page
    assert "Hệ thống sẽ tự chạy lại lúc 24/11/2026 10:05" in page
    assert "missing.toml" in page

    jobs.run_recorded(
        "send-reminders", settings, runner="test", now=datetime(2026, 11, 24, 3, 6, tzinfo=UTC)
    )
    assert "bị lỗi" not in client.get("/agencies/SNGV/reminders").text
