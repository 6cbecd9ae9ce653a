"""Deadlines started by ISO records ride the same reminder engine and ledger as calendar steps."""

from __future__ import annotations

from datetime import date

from models.cycles import find_step, mark_done
from models.iso import FindingIn, add_action, load_iso_rules, record_audit, record_event
from tests.test_reminders import run, smtp

ISO_RULES = load_iso_rules()


def test_it_reminds_a_procedure_update_until_it_is_done(
    session, opened_2026, settings, rules, sink
):
    """A legal change effective 15/3 is due 15/6; a week before, both agencies are reminded; once
    one of them has updated its procedures, only the other is reminded on the due date."""
    result = record_event(
        session=session,
        kind="legal_change",
        number="68/2026/NĐ-CP",
        effective_on=date(2026, 3, 15),
        agency_codes=["SNGV", "SCT"],
        actor="skhcn",
        rules=ISO_RULES,
        working=rules.working,
    )
    assert result.due == date(2026, 6, 15)
    title = "Cập nhật HTQLCL theo văn bản 68/2026/NĐ-CP"
    cfg = smtp(settings, sink)

    run(session, cfg, rules, date(2026, 6, 8))  # Monday, 7 days before
    for secretary in ("thuky.sngv@hatinh.example", "thuky.sct@hatinh.example"):
        (mail,) = sink.handler.to(secretary)
        assert title in mail.text and title in mail.html
        assert "15/06/2026" in mail.text and "còn 7 ngày" in mail.text

    step = find_step(
        session=session, agency_code="SNGV", year=2026, key="procedure_update:68/2026/NĐ-CP"
    )
    mark_done(
        session=session,
        step=step,
        done_on=date(2026, 6, 10),
        ref="12/QĐ-SNgV",
        note=None,
        actor="thuky",
        today=date(2026, 6, 10),
    )
    sink.handler.received.clear()
    run(session, cfg, rules, date(2026, 6, 15))  # the due date
    assert [m for m in sink.handler.to("thuky.sct@hatinh.example") if title in m.text]
    assert not [m for m in sink.handler.to("thuky.sngv@hatinh.example") if title in m.text]


def test_it_reminds_a_corrective_action_owner_by_name(session, opened_2026, settings, rules, sink):
    """The owner of a corrective action gets a mail of their own on its due date, as the
    assignee; the agency's secretary is reminded of it too."""
    record_audit(
        session=session,
        agency_code="SCT",
        year=2026,
        start_on=date(2026, 9, 21),
        end_on=date(2026, 9, 21),
        ref="08/KH-SCT",
        team="Đoàn đánh giá nội bộ",
        scope_units=["Văn phòng"],
        findings=[
            FindingIn(
                severity="minor", unit="Văn phòng", description="Hồ sơ chưa lưu đủ", clause="7.5"
            )
        ],
        actor="thuky",
        today=date(2026, 9, 22),
    )
    action = add_action(
        session=session,
        agency_code="SCT",
        year=2026,
        finding_number=1,
        owner_name="Trần Văn Bình",
        owner_email="binh.vp@hatinh.example",
        description="Bổ sung hồ sơ lưu trữ",
        actor="thuky",
        rules=ISO_RULES,
        working=rules.working,
    )
    assert action.due == date(2026, 10, 21)  # audit + 30 days, a Wednesday
    run(session, smtp(settings, sink), rules, date(2026, 10, 21))
    (owner_mail,) = sink.handler.to("binh.vp@hatinh.example")
    assert "Kính gửi Trần Văn Bình" in owner_mail.text
    assert "Hành động khắc phục #1: Bổ sung hồ sơ lưu trữ" in owner_mail.text
    assert "21/10/2026 – đến hạn hôm nay" in owner_mail.text
    assert "được giao phụ trách" in owner_mail.text
    assert owner_mail.rcpt_tos == ["binh.vp@hatinh.example"]


def test_action_steps_follow_their_records_never_a_hand_marking(session, opened_2026, rules, cli):
    """corrective_action / action_verification steps and the year's corrective_actions step cannot
    be marked done or waived by hand while an action is open: only the action records move them."""
    record_audit(
        session=session,
        agency_code="SCT",
        year=2026,
        start_on=date(2026, 9, 21),
        end_on=date(2026, 9, 21),
        ref="08/KH-SCT",
        team=None,
        scope_units=["Văn phòng"],
        findings=[FindingIn(severity="minor", unit="Văn phòng", description="Hồ sơ chưa lưu đủ")],
        actor="thuky",
        today=date(2026, 9, 22),
    )
    add_action(
        session=session,
        agency_code="SCT",
        year=2026,
        finding_number=1,
        owner_name="Trần Văn Bình",
        owner_email=None,
        description="Bổ sung hồ sơ",
        actor="thuky",
        rules=ISO_RULES,
        working=rules.working,
    )
    for key, message in [
        ("corrective_action:1", "isocycle actions done"),
        ("action_verification:1", "isocycle actions done"),
        ("corrective_actions", "still open"),
    ]:
        result = cli(
            "done", "SCT", "2026", key, "--on", "2026-11-01", "--ref", "X", "--today", "2026-11-24"
        )
        assert result.exit_code == 1 and message in result.stderr, (key, result.stderr)
        result = cli("waive", "SCT", "2026", key, "--reason", "không cần")
        assert result.exit_code == 1 and message in result.stderr, (key, result.stderr)
    # Through the records, the roll-up completes on its own.
    assert (
        cli(
            "actions", "done", "SCT", "2026", "1", "--on", "2026-10-01", "--today", "2026-11-24"
        ).exit_code
        == 0
    )
    verified = cli(
        "actions", "verify", "SCT", "2026", "1", "--on", "2026-10-20", "--verifier", "Giám đốc"
    )
    assert verified.exit_code == 0, verified.stderr
    session.expire_all()
    assert (
        find_step(session=session, agency_code="SCT", year=2026, key="corrective_actions").state
        == "done"
    )


def test_an_event_number_on_two_lines_is_refused(session, opened_2026, rules):
    import pytest

    from models.iso import IsoError

    with pytest.raises(IsoError, match="Số văn bản phải nằm trên một dòng"):
        record_event(
            session=session,
            kind="legal_change",
            number="68/2026\nNĐ-CP",
            effective_on=date(2026, 3, 15),
            agency_codes=["SNGV"],
            actor="skhcn",
            rules=ISO_RULES,
            working=rules.working,
        )
