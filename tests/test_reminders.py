"""Reminder rules without Prefect: stages, the ledger, recipients, and the mails a real SMTP
server receives (decoded Vietnamese subject, text and HTML)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from models.calendar import WorkingCalendar
from models.cycles import find_step
from models.reminders import (
    CANCELLED,
    DELIVERY,
    REMINDER,
    PolicyError,
    ReminderPolicy,
    Stage,
    build_policy,
    current_stage,
    decide_reminders,
    load_policy,
    queue_overseer_digest,
)
from models.tables import AGENCY, STEP
from notifications.links import read_link, step_link
from notifications.messages import render_reminder
from notifications.outbox import deliver_pending, digest_pass, reminder_pass

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
POLICY = load_policy()
WORKING = WorkingCalendar()


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    """07:30 in Hà Tĩnh on that day, as a UTC instant."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def smtp(settings, sink):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port})


def run(session, settings, rules, day: date, **kw):
    return reminder_pass(
        session=session,
        settings=settings,
        policy=kw.get("policy", POLICY),
        working=rules.working,
        now=kw.get("now", at(day)),
    )


# --- the pure stage rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        # An ordinary Wednesday deadline, 11/03/2026.
        (date(2026, 3, 11), date(2026, 3, 3), None),
        (date(2026, 3, 11), date(2026, 3, 4), Stage("before_7")),
        (date(2026, 3, 11), date(2026, 3, 9), Stage("before_7")),
        (date(2026, 3, 11), date(2026, 3, 10), Stage("before_1")),
        (date(2026, 3, 11), date(2026, 3, 11), Stage("due")),
        (date(2026, 3, 11), date(2026, 3, 12), Stage("overdue_1")),
        (date(2026, 3, 11), date(2026, 3, 16), Stage("overdue_1")),
        (date(2026, 3, 11), date(2026, 3, 17), Stage("overdue_4")),
        (date(2026, 3, 11), date(2026, 3, 18), Stage("overdue_5", escalated=True)),
        (date(2026, 3, 11), date(2026, 3, 19), Stage("overdue_5", escalated=True)),
        (date(2026, 3, 11), date(2026, 3, 20), Stage("overdue_7", escalated=True)),
        (date(2026, 3, 11), date(2026, 3, 25), Stage("overdue_10", escalated=True)),
        # Friday deadline: the weekend is still "due", Monday is the first overdue working day.
        (date(2026, 3, 13), date(2026, 3, 14), Stage("due")),
        (date(2026, 3, 13), date(2026, 3, 15), Stage("due")),
        (date(2026, 3, 13), date(2026, 3, 16), Stage("overdue_1")),
        # Tết 2026 (16-20/02): a deadline on Friday 13/02 is first overdue on Monday 23/02.
        (date(2026, 2, 13), date(2026, 2, 20), Stage("due")),
        (date(2026, 2, 13), date(2026, 2, 23), Stage("overdue_1")),
        (date(2026, 2, 13), date(2026, 2, 26), Stage("overdue_4")),
        # 31/12 -> 1/1: New Year's Day is off, so Monday 04/01/2027 is the first overdue day.
        (date(2026, 12, 31), date(2027, 1, 1), Stage("due")),
        (date(2026, 12, 31), date(2027, 1, 4), Stage("overdue_1")),
        (date(2027, 1, 5), date(2026, 12, 29), Stage("before_7")),
        # Leap year: 22/02/2028 is 8 days before 01/03/2028, 23/02 is 7, 29/02 is 1.
        (date(2028, 3, 1), date(2028, 2, 22), None),
        (date(2028, 3, 1), date(2028, 2, 23), Stage("before_7")),
        (date(2028, 3, 1), date(2028, 2, 29), Stage("before_1")),
    ],
)
def test_it_computes_the_current_stage(due, today, expected):
    assert current_stage(due, today, POLICY, WORKING) == expected


def test_it_reads_the_policy_as_data():
    assert POLICY.before_days == (7, 1)
    assert (POLICY.overdue_first, POLICY.overdue_every, POLICY.escalate_from) == (1, 3, 5)
    assert POLICY.digest_weekday == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"before_days": "7"}, "before_days"),
        ({"overdue": {"every_working_days": 0}}, "overdue.every_working_days"),
        ({"digest": {"weekday": "someday"}}, "digest.weekday"),
        ({"delivery": {"max_attempts": -1}}, "delivery.max_attempts"),
    ],
)
def test_it_names_the_field_of_a_bad_policy(data, field):
    with pytest.raises(PolicyError, match=field.replace(".", r"\.")):
        build_policy(data, "my.toml")


# --- deciding and sending ------------------------------------------------------------------

OCT_27 = date(2026, 10, 27)  # a Tuesday: internal_audit (15/10) is 8 working days overdue


def test_it_sends_one_vietnamese_digest_per_recipient(session, opened_2026, settings, rules, sink):
    """Every agency's secretary gets ONE mail listing all its overdue steps; the head is in Cc."""
    result = run(session, smtp(settings, sink), rules, OCT_27)
    assert result.deliver.sent == 6 and result.deliver.failed == 0
    to = sorted(r.message["To"].addresses[0].addr_spec for r in sink.received)
    assert to == sorted(
        [
            "chutich@hatinh.example",  # HATINH has no secretary: the head, as it is escalated
            "thuky.skhcn@hatinh.example",
            "thuky.sngv@hatinh.example",
            "thuky.ttdvdn@hatinh.example",
            "thuky.sct@hatinh.example",
            "thuky.thanhsen@hatinh.example",
        ]
    )
    (mail,) = sink.handler.to("thuky.sngv@hatinh.example")
    assert mail.rcpt_tos == ["thuky.sngv@hatinh.example", "giamdoc.sngv@hatinh.example"]
    assert str(mail.message["Cc"]) == "giamdoc.sngv@hatinh.example"
    assert mail.subject.startswith(
        "[Báo cáo Thủ trưởng] Nhắc việc ISO 9001: 5 việc, 5 việc quá hạn"
    )
    text, html = mail.text, mail.html
    # Each step has a one-click link, signed for that step alone.
    audit = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    audit_link = step_link(
        settings, audit.id, datetime.combine(OCT_27, time(), tzinfo=settings.zone)
    )
    assert read_link(settings, audit_link.rsplit("/", 1)[1], at(OCT_27)) == audit.id
    for part in (text, html):
        assert "Kính gửi Nguyễn Thị Hà" in part
        assert "Đánh giá nội bộ" in part
        assert "Thành lập Ban chỉ đạo ISO, cử thư ký ISO" in part
        assert "15/10/2026" in part and "quá hạn 12 ngày" in part
        assert audit_link in part
        assert "thư ký ISO (đầu mối) của Sở Ngoại vụ" in part
        assert "Sở Khoa học và Công nghệ (Phòng Tiêu chuẩn Đo lường Chất lượng)" in part
        # Not yet due (10/11) or not in a stage: not in the mail.
        assert "Xem xét của lãnh đạo" not in part
    # yagmail's "\n" -> "<br>" rewriting must not touch our parts: the text is what we rendered.
    assert "<br" not in text and "<td>" not in text
    plan = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    assert (
        f'<a href="{step_link(settings, plan.id, datetime.combine(OCT_27, time(), tzinfo=settings.zone))}">'
        in html
    )
    assert mail.message["Message-ID"].endswith("@isocycle>")


def test_it_renders_the_text_part_unchanged(session, opened_2026, settings, rules, sink):
    """The text/plain part arrives exactly as rendered: line breaks kept, no HTML in it."""
    run(session, smtp(settings, sink), rules, OCT_27)
    (mail,) = sink.handler.to("thuky.skhcn@hatinh.example")
    expected = render_reminder(
        to="thuky.skhcn@hatinh.example",
        to_name="Lê Thị Thu",
        cc=("giamdoc.skhcn@hatinh.example",),
        role="secretary",
        items=[
            {**r, "escalated": True}
            for r in session.execute(
                select(
                    STEP.c.id.label("step_id"),
                    AGENCY.c.code,
                    AGENCY.c.name,
                    STEP.c.year,
                    STEP.c.key,
                    STEP.c.title,
                    STEP.c.due,
                )
                .join_from(STEP, AGENCY, AGENCY.c.id == STEP.c.agency_id)
                .where(AGENCY.c.code == "SKHCN", STEP.c.due < OCT_27)
            ).mappings()
        ],
        today=OCT_27,
        settings=settings,
        policy=POLICY,
    )
    # On the wire lines end in CRLF (RFC 5322); otherwise the text is exactly what we rendered.
    assert mail.text.replace("\r\n", "\n") == expected.text
    assert mail.subject == expected.subject


def test_it_sends_a_whole_batch_over_one_smtp_connection(
    session, opened_2026, settings, rules, sink
):
    """A pass opens one connection per batch, not one per mail (yagmail's send() would log in
    again for every mail)."""
    result = run(session, smtp(settings, sink), rules, OCT_27)
    assert (result.deliver.sent, len(sink.received)) == (6, 6)
    assert sink.handler.connections == 1


def test_it_opens_one_connection_per_batch(session, opened_2026, settings, rules, sink):
    result = run(session, smtp(settings, sink), rules, OCT_27, policy=replace(POLICY, batch_size=4))
    assert (result.deliver.sent, len(sink.received)) == (6, 6)
    assert sink.handler.connections == 2  # 4 + 2


def test_it_never_sends_a_second_copy_when_run_again(session, opened_2026, settings, rules, sink):
    first = run(session, smtp(settings, sink), rules, OCT_27)
    again = run(session, smtp(settings, sink), rules, OCT_27, now=at(OCT_27, 15))
    assert first.decide.decided == 30 and first.deliver.sent == 6
    assert (again.decide.decided, again.decide.already_decided, again.deliver.sent) == (0, 30, 0)
    assert len(sink.received) == 6


def test_it_catches_up_with_the_current_stage_only(session, opened_2026, settings, rules, sink):
    """Scheduler off from 11/11 to 16/11: on 17/11 one mail per agency, not one per missed day."""
    run(session, smtp(settings, sink), rules, date(2026, 11, 10))  # management_review due
    before = len(sink.received)
    run(session, smtp(settings, sink), rules, date(2026, 11, 17))
    mail = sink.handler.to("thuky.sngv@hatinh.example")[-1]
    # 17/11: management_review (10/11) is 5 working days overdue, annual_report due in 3 days.
    stages = dict(
        session.execute(
            select(STEP.c.key, REMINDER.c.stage)
            .join_from(REMINDER, STEP, STEP.c.id == REMINDER.c.step_id)
            .join(AGENCY, AGENCY.c.id == STEP.c.agency_id)
            .where(AGENCY.c.code == "SNGV", REMINDER.c.decided_on == date(2026, 11, 17))
        ).all()
    )
    assert stages["management_review"] == "overdue_5"
    assert stages["annual_report"] == "before_7"
    assert "Xem xét của lãnh đạo" in mail.text and "còn 3 ngày" in mail.text
    assert len(sink.received) - before == 6


def test_it_follows_a_moved_deadline(session, opened_2026, settings, rules, sink):
    """Re-dating a step gives it fresh reminders computed against the new deadline."""
    run(session, smtp(settings, sink), rules, date(2026, 11, 13))  # annual_report (20/11) before_7
    step = find_step(session=session, agency_code="SCT", year=2026, key="annual_report")
    session.execute(update(STEP).where(STEP.c.id == step.id).values(due=date(2026, 11, 16)))
    session.commit()
    count = len(sink.handler.to("thuky.sct@hatinh.example"))
    run(session, smtp(settings, sink), rules, date(2026, 11, 16))
    mails = sink.handler.to("thuky.sct@hatinh.example")
    assert len(mails) == count + 1
    assert "Báo cáo năm gửi Sở KH&CN" in mails[-1].text and "đến hạn hôm nay" in mails[-1].text
    assert (
        session.execute(
            select(REMINDER.c.stage).where(
                REMINDER.c.step_id == step.id, REMINDER.c.due == date(2026, 11, 16)
            )
        ).scalar_one()
        == "due"
    )


def test_it_stops_reminding_a_step_once_done(session, opened_2026, settings, rules, sink):
    run(session, smtp(settings, sink), rules, date(2026, 11, 13))
    step = find_step(session=session, agency_code="SCT", year=2026, key="annual_report")
    # A report step is done when its recipient records receipt (models/iso/reporting.py).
    from models.iso import reporting

    where = {"session": session, "agency_code": "SCT", "year": 2026, "step_key": "annual_report"}
    reporting.submit_report(
        **where, number="1/BC", report_date=date(2026, 11, 13), actor="t",
        today=date(2026, 11, 13), unit_code="SKHCN", require_file=False,
    )  # fmt: skip
    reporting.record_receipt(
        **where, received_on=date(2026, 11, 13), actor="skhcn", today=date(2026, 11, 13)
    )
    run(session, smtp(settings, sink), rules, date(2026, 11, 19))  # before_1 of annual_report
    last = sink.handler.to("thuky.sct@hatinh.example")[-1]
    assert "Báo cáo năm" not in last.text
    assert (
        session.execute(
            select(func.count())
            .select_from(REMINDER)
            .where(REMINDER.c.step_id == step.id, REMINDER.c.decided_on > date(2026, 11, 13))
        ).scalar_one()
        == 0
    )


def test_it_cancels_a_queued_reminder_whose_step_was_done_before_sending(
    session, opened_2026, settings, rules, sink
):
    """Decided but unsent, then the step is done: that mail is cancelled, never sent."""
    day = date(2026, 11, 19)  # only annual_report (before_1) and the long-overdue steps
    decide_reminders(session=session, today=day, now=at(day), policy=POLICY, working=rules.working)
    # Close every open step of TTDVDN, then deliver.
    ttdvdn = session.execute(select(AGENCY.c.id).where(AGENCY.c.code == "TTDVDN")).scalar_one()
    session.execute(
        update(STEP).where(STEP.c.agency_id == ttdvdn).values(state="waived", waive_reason="test")
    )
    session.commit()
    result = deliver_pending(
        session=session, settings=smtp(settings, sink), policy=POLICY, now=at(day)
    )
    assert result.cancelled == 1 and result.sent == 5
    assert sink.handler.to("thuky.ttdvdn@hatinh.example") == []
    status = session.execute(
        select(DELIVERY.c.status).where(DELIVERY.c.to_addr == "thuky.ttdvdn@hatinh.example")
    ).scalar_one()
    assert status == CANCELLED


def test_it_mails_a_steps_assignee_separately(session, opened_2026, settings, rules, sink):
    step = find_step(session=session, agency_code="SCT", year=2026, key="corrective_actions")
    step.assignee_name, step.assignee_email = "Trương Thị Mai", "mai.truong@hatinh.example"
    session.add(step)
    session.commit()
    run(session, smtp(settings, sink), rules, date(2026, 11, 16))  # corrective_actions due
    (mail,) = sink.handler.to("mai.truong@hatinh.example")
    assert mail.rcpt_tos == ["mai.truong@hatinh.example"]
    assert "Kính gửi Trương Thị Mai" in mail.text
    assert "Thực hiện hành động khắc phục" in mail.text and "đến hạn hôm nay" in mail.text
    assert "được giao phụ trách" in mail.text
    assert "Đánh giá nội bộ" not in mail.text  # only the steps assigned to her
    (secretary,) = sink.handler.to("thuky.sct@hatinh.example")
    assert "Thực hiện hành động khắc phục" in secretary.text


def test_it_shows_hostile_names_as_text(session, opened_2026, settings, rules, sink):
    session.execute(
        update(AGENCY).where(AGENCY.c.code == "SCT").values(name='<script>alert("x")</script> & Co')
    )
    session.commit()
    run(session, smtp(settings, sink), rules, OCT_27)
    (mail,) = sink.handler.to("thuky.sct@hatinh.example")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in mail.html
    assert "<script>" not in mail.html
    assert '<script>alert("x")</script> & Co' in mail.text


def test_it_writes_eml_files_when_no_smtp_host_is_set(session, opened_2026, settings, rules):
    import email
    import email.policy

    result = run(session, settings, rules, OCT_27)
    files = sorted(settings.mail_outbox_dir.glob("*.eml"))
    # Written to files, not sent: nobody has received them.
    assert (result.deliver.written, result.deliver.sent, len(files)) == (6, 0, 6)
    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert all("Nhắc việc ISO 9001" in str(m["Subject"]) for m in msgs)
    assert not list(settings.mail_outbox_dir.glob("*.tmp"))


def test_it_sends_the_overseer_a_weekly_digest_grouped_by_parent(
    session, opened_2026, settings, rules, sink
):
    monday = date(2026, 10, 26)
    first = digest_pass(
        session=session, settings=smtp(settings, sink), policy=POLICY, now=at(monday, 8, 0)
    )
    again = digest_pass(
        session=session,
        settings=smtp(settings, sink),
        policy=POLICY,
        now=at(monday + timedelta(days=2), 8, 0),
    )
    assert (first["queued"], first["sent"], again["queued"]) == (1, 1, 0)
    (mail,) = sink.received
    assert mail.rcpt_tos == ["thuky.skhcn@hatinh.example", "giamdoc.skhcn@hatinh.example"]
    assert mail.subject == "Tổng hợp tuần 44/2026: năm 2026 có 30 việc ISO quá hạn của 6 đơn vị"
    text = mail.text
    # Grouped by parent agency: Sở Ngoại vụ's centre is listed under it.
    assert text.index("== Sở Ngoại vụ ==") < text.index(
        "Trung tâm Dịch thuật và Dịch vụ đối ngoại (TTDVDN)"
    )
    assert "== UBND tỉnh Hà Tĩnh ==" in text
    assert "quá hạn 11 ngày" in text
    next_week = queue_overseer_digest(
        session=session,
        today=monday + timedelta(days=7),
        now=at(monday + timedelta(days=7)),
        overseer_code="SKHCN",
    )
    assert next_week == 1


def test_it_refuses_an_smtp_user_without_password(session, opened_2026, settings, rules, sink):
    """Never a keyring lookup or an interactive prompt: a clear configuration error instead."""
    bad = smtp(settings, sink).model_copy(update={"smtp_user": "bot@hatinh.example"})
    with pytest.raises(ValueError, match="ISOCYCLE_SMTP_PASSWORD"):
        run(session, bad, rules, OCT_27)


def test_policy_class_defaults_match_the_file():
    assert ReminderPolicy() == POLICY


def test_it_names_a_bad_now_option(cli):
    result = cli("remind", "--now", "27/10/2026 7h30")
    assert result.exit_code == 1
    assert "--now" in result.stderr and "2026-10-27T07:30" in result.stderr


def test_it_names_a_bad_policy_file(cli, tmp_path, monkeypatch):
    from config.settings import get_settings

    bad = tmp_path / "policy.toml"
    bad.write_text("[overdue]\nevery_working_days = 0\n", encoding="utf-8")
    monkeypatch.setenv("ISOCYCLE_REMINDER_POLICY_FILE", str(bad))
    get_settings.cache_clear()
    try:
        result = cli("remind")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "overdue.every_working_days" in result.stderr


def test_it_lists_an_empty_outbox(cli):
    result = cli("outbox")
    assert result.exit_code == 0
    assert "pending: 0, sending: 0, sent: 0, retry: 0, failed: 0, cancelled: 0" in result.stdout
