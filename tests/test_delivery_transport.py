"""A mail written to the outbox folder is never called sent: in the log, the CLI and the counts.

The reminder log speaks in calendar days, the unit of every page, never in stage names.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from config.settings import get_settings
from models.reminders import DELIVERY
from tests.test_reminders import run, smtp
from tests.web_support import login

OCT_27 = date(2026, 10, 27)


def transports(session) -> list[tuple[str, str | None]]:
    session.expire_all()
    return sorted(set(session.execute(select(DELIVERY.c.status, DELIVERY.c.transport)).tuples()))


def test_the_log_tells_a_mail_written_to_a_file_from_a_sent_one_in_calendar_days(
    client, tokens, session, settings, rules, sink
):
    run(session, settings, rules, OCT_27)  # no SMTP server: .eml files
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV/reminders").text
    # internal_audit, due 15/10/2026: 12 calendar days on 27/10 (7 working days: "overdue_7").
    assert "Quá hạn 12 ngày" in page
    assert "overdue_" not in page and "before_" not in page
    assert "Đã ghi ra tệp (chưa gửi đi)" in page
    assert "Đã gửi" not in page
    assert transports(session) == [("sent", "file")]

    run(session, smtp(settings, sink), rules, date(2026, 10, 28))  # the "due" stage, sent
    assert transports(session) == [("sent", "file"), ("sent", "smtp")]
    page = client.get("/agencies/SNGV/reminders").text
    assert "Đã gửi" in page and "Đã ghi ra tệp (chưa gửi đi)" in page


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """The CLI's own settings: no SMTP server, mails written to `mails/`, no Prefect server."""
    monkeypatch.delenv("ISOCYCLE_SMTP_HOST", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("ISOCYCLE_MAIL_OUTBOX_DIR", str(tmp_path / "mails"))
    get_settings.cache_clear()
    yield (tmp_path / "mails").resolve()
    get_settings.cache_clear()


def test_remind_deliver_and_digest_say_written_to_files_not_sent(cli, cli_env, opened_2026):
    out = cli("remind", "--now", "2026-10-27T07:30").stdout
    assert f"written to files in {cli_env}: 6" in out
    assert "sent" not in out
    assert len(list(cli_env.glob("*.eml"))) == 6

    out = cli("deliver", "--now", "2026-10-27T08:00").stdout
    assert out.startswith(f"Written to files in {cli_env}: 0;")

    out = cli("digest", "--now", "2026-10-26T08:00").stdout
    assert f"Digest queued: 1; written to files in {cli_env}: 1;" in out

    listed = cli("outbox").stdout
    assert listed.count("written to file") == 7


def test_remind_says_sent_when_it_went_over_smtp(cli, cli_env, opened_2026, sink, monkeypatch):
    monkeypatch.setenv("ISOCYCLE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ISOCYCLE_SMTP_PORT", str(sink.port))
    get_settings.cache_clear()
    out = cli("remind", "--now", "2026-10-27T07:30").stdout
    assert "sent: 6;" in out and "written" not in out
    assert len(sink.received) == 6
