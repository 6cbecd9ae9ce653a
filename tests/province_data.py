"""Two hand-built years of the small province for Sở KH&CN's documents, with what they must say.

`build_chase_year`: who is late on 24/11/2026 is known step by step (a step done late, one due
that day, deadlines moved past a weekend and Tết). `build_summary_year`: every figure of the
provincial summary is set through the real record paths (audits, reports and receipts, the
inspection plan, announcements, procedures, TTHC, budget, training).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from models import iso
from models.calendar import RuleSet
from models.cycles import open_cycle, waive
from models.iso import ReportFileIn, reporting
from models.iso.inspections import PlanEntry, record_inspection, record_plan
from models.periods import annual
from models.tables import AGENCY, STEP, STEP_DONE, STEP_OPEN, Step

YEAR = 2026
LETTER = "1234/SKHCN-TĐC"
ALL_KINDS = ["so", "trung_tam", "ubnd_xa", "ubnd_tinh"]


def docx_bytes(text: str = "Báo cáo") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return buf.getvalue()


def settle(
    session: Session,
    *,
    keys: Iterable[str],
    skip: Iterable[tuple[str, str]] = (),
    done_on: dict[tuple[str, str], date] | None = None,
) -> None:
    """Mark the year's open steps of these keys done on their deadline (or on the day given per
    (agency code, key)), except the (code, key) pairs in `skip`: the test's known backdrop."""
    codes = dict(session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples().all())
    skipped, days = set(skip), done_on or {}
    for step in session.query(Step).filter(
        STEP.c.year == YEAR, STEP.c.state == STEP_OPEN, STEP.c.key.in_(list(keys))
    ):
        pair = (codes[step.agency_id], step.key)
        if pair in skipped:
            continue
        step.state, step.done_on, step.ref = STEP_DONE, days.get(pair, step.due), "test"
    session.commit()


def _waive(session: Session, code: str, key: str) -> None:
    agency_id = session.execute(select(AGENCY.c.id).where(AGENCY.c.code == code)).scalar_one()
    step = session.query(Step).filter_by(agency_id=agency_id, year=YEAR, key=key).one()
    waive(session=session, step=step, reason="Sở KH&CN là đơn vị nhận báo cáo", actor="test")


def request(session: Session, rules: RuleSet, *, due: date, letter_date: date) -> None:
    reporting.create_request(
        session=session,
        unit_code="SKHCN",
        letter_number=LETTER,
        letter_date=letter_date,
        kind="annual_report",
        period=annual(YEAR),
        recipient_kinds=ALL_KINDS,
        due=due,
        outline="Đề cương báo cáo năm 2026",
        title="V/v báo cáo kết quả duy trì, cải tiến HTQLCL năm 2026",
        actor="skhcn",
        today=letter_date,
        working=rules.working,
    )


def send_and_receive(session: Session, code: str, received_on: date) -> None:
    reporting.submit_report(
        session=session,
        agency_code=code,
        year=YEAR,
        step_key="annual_report",
        number=f"10/BC-{code}",
        report_date=received_on,
        actor=f"thuky.{code.lower()}",
        today=received_on,
        file=ReportFileIn("Báo cáo ISO 2026.docx", docx_bytes()),
        letter_number=LETTER,
    )
    reporting.record_receipt(
        session=session,
        agency_code=code,
        year=YEAR,
        step_key="annual_report",
        received_on=received_on,
        actor="skhcn",
        today=received_on,
    )


CALENDAR = (
    "plan",
    "steering_committee",
    "quality_objectives",
    "six_month_report",
    "internal_audit",
    "management_review",
    "corrective_actions",
)


def build_chase_year(session: Session, rules: RuleSet) -> None:
    """Late on 24/11/2026, with the letter (deadline Saturday 21/11 → Monday 23/11):

    - SNGV: internal audit (15/10, 40 days) and the annual report (23/11, 1 day);
    - TTDVDN: corrective actions (Sunday 15/11 → Monday 16/11, 8 days) and the report;
    - UB18073: quality objectives (15/02 → 23/02 after Tết, 274 days) and the report;
    - SCT did its plan late (done, so not chased) and its report arrives 24/11 (done late);
    - HATINH sent on 19/11; SKHCN's own annual report step is waived.
    """
    open_cycle(session=session, year=YEAR, rules=rules)
    settle(
        session,
        keys=CALENDAR,
        skip=[
            ("SNGV", "internal_audit"),
            ("TTDVDN", "corrective_actions"),
            ("UB18073", "quality_objectives"),
        ],
        done_on={("SCT", "plan"): date(2026, 3, 2)},
    )
    _waive(session, "SKHCN", "annual_report")
    request(session, rules, due=date(2026, 11, 21), letter_date=date(2026, 11, 2))
    send_and_receive(session, "HATINH", date(2026, 11, 19))
    send_and_receive(session, "SCT", date(2026, 11, 24))


def build_summary_year(session: Session, rules: RuleSet) -> None:
    """The year the summary test counts on 01/12/2026 (see test_province_documents)."""
    open_cycle(session=session, year=YEAR, rules=rules)
    # Audits through the real path: SCT late (20/10 against 15/10) with 1 major and 2 minor
    # findings, HATINH on time with an observation; SNGV holds none.
    iso.record_audit(
        session=session, agency_code="SCT", year=YEAR, start_on=date(2026, 10, 19),
        end_on=date(2026, 10, 20), ref="05/BC-SCT", team=None, scope_units=[],
        findings=[
            iso.FindingIn("major", "Phòng Quản lý thương mại", "Quy trình không cập nhật"),
            iso.FindingIn("minor", "Văn phòng", "Hồ sơ thiếu phiếu kiểm soát"),
            iso.FindingIn("minor", "Văn phòng", "Biểu mẫu cũ"),
        ],
        actor="thuky.sct", today=date(2026, 10, 20),
    )  # fmt: skip
    iso.record_audit(
        session=session, agency_code="HATINH", year=YEAR, start_on=date(2026, 9, 29),
        end_on=date(2026, 9, 30), ref="09/BC-UBND", team=None, scope_units=[],
        findings=[iso.FindingIn("observation", "Văn phòng", "Sổ theo dõi chưa đủ")],
        actor="thuky.hatinh", today=date(2026, 9, 30),
    )  # fmt: skip
    settle(
        session,
        keys=CALENDAR,
        skip=[("UB18073", "plan"), ("SNGV", "internal_audit")],
    )
    _waive(session, "SKHCN", "annual_report")
    request(session, rules, due=date(2026, 11, 20), letter_date=date(2026, 11, 2))
    send_and_receive(session, "SNGV", date(2026, 11, 19))
    send_and_receive(session, "HATINH", date(2026, 11, 20))
    send_and_receive(session, "SCT", date(2026, 11, 25))
    # Announcements: SNGV announced in 2019; SCT announced in 2018 and re-announced in 2026.
    for code, kind, ref, day in (
        ("SNGV", "announcement", "120/QĐ-SNgV", date(2019, 12, 20)),
        ("SCT", "announcement", "88/QĐ-SCT", date(2018, 11, 5)),
        ("SCT", "re_announcement", "301/QĐ-SCT", date(2026, 8, 14)),
    ):
        iso.record_announcement(
            session=session, agency_code=code, kind=kind, ref=ref, decided_on=day,
            actor="test", today=date(2026, 12, 1), edition="2015",
        )  # fmt: skip
    period = annual(YEAR)
    for code, total in (("SNGV", 45), ("SCT", 120)):
        iso.set_tthc_figures(
            session=session, agency_code=code, period=period, total=total, amended=0, new=0,
            abolished=0, actor="test",
        )  # fmt: skip
    for code, kind, pcode in (
        ("SNGV", "internal", "QT-01"),
        ("SNGV", "internal", "QT-02"),
        ("SNGV", "tthc", "TT-01"),
        ("SCT", "internal", "QT-01"),
    ):
        iso.issue_procedure(
            session=session, agency_code=code, kind=kind, code=pcode, title=f"Quy trình {pcode}",
            decision_ref="12/QĐ", decision_on=date(2026, 3, 1), actor="test",
            today=date(2026, 12, 1),
        )  # fmt: skip
    iso.set_budget(session=session, agency_code="SNGV", period=period, allocated=15_000_000,
                   spent=12_500_000, actor="test")  # fmt: skip
    iso.set_budget(session=session, agency_code="SCT", period=period, allocated=10_000_000,
                   spent=None, actor="test")  # fmt: skip
    for code, title, persons in (
        ("SNGV", "Tập huấn ISO 9001:2015", 30),
        ("SNGV", "Đánh giá viên nội bộ", 15),
        ("UB18073", "Tập huấn ISO cho cán bộ xã", 20),
    ):
        iso.add_training(
            session=session, agency_code=code, period=period, title=title, organiser="Sở KH&CN",
            mode="held", held_on=date(2026, 6, 10), person_times=persons, actor="test",
            today=date(2026, 12, 1),
        )  # fmt: skip
    # The plan: SNGV on site in September (held 20/09, report-back not sent), SCT and UB18073 by
    # dossier in October (not held): 1 of 6 on site, short of the third.
    record_plan(
        session=session, inspector_code="SKHCN", year=YEAR, decision_ref="55/QĐ-SKHCN",
        decision_on=date(2026, 3, 10),
        entries=[PlanEntry("SNGV", "onsite", 9), PlanEntry("SCT", "dossier", 10),
                 PlanEntry("UB18073", "dossier", 10)],
        actor="skhcn", rules=rules,
    )  # fmt: skip
    record_inspection(
        session=session, agency_code="SNGV", year=YEAR, record_ref="07/BB-KT",
        record_on=date(2026, 9, 20), findings=[], actor="skhcn", today=date(2026, 9, 20),
        iso_rules=iso.load_iso_rules(), working=rules.working,
    )  # fmt: skip
