"""The QMS profiles, steering committees and announcements that seeds 001, 002 and 003 state.

They are entered before the demo opens its years (`load_before_cycles`), because a committee on
record decides whether a year has a steering-committee step; `load`, after the years are open,
completes the steps these records answer (SCT re-formed its committee in 2021).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select as orm_select

from models import iso
from models.calendar import RuleSet
from models.iso import profile as qms

ACTOR = "demo"

# Seed 001 Phụ lục IIA: "Sở Ngoại vụ 2009 2018" (năm áp dụng ISO 9001:2008, năm chuyển đổi 2015);
# "Ngày 25/7/2018, Sở đã có Quyết định số 27/QĐ-SNgV về ban hành và áp dụng hệ thống quản lý
# chất lượng theo TCVN ISO 9001:2015". Seed 002: "năm 2018 Sở Công Thương đã thực hiện xây dựng
# chuyển đổi". Seed 003 Phụ lục 1: "395/QĐ-UBND Ban hành cập nhật HTTL năm 2018".
PROFILES: dict[str, dict[str, Any]] = {
    "SNGV": {
        "edition": "2015",
        "mode": "maintain",
        "first_applied_year": 2009,
        "converted_year": 2018,
        "system_ref": "27/QĐ-SNgV",
        "system_issued_on": date(2018, 7, 25),
    },
    # Seed 001 Phụ lục IIA: "Trung tâm DTDVĐN 2017 2019"; "chỉ đạo Trung tâm DTDVĐN chuyển đổi,
    # xây dựng và áp dụng HTQLCL theo TCVN ISO 9001:2015 (Quyết định số 52/QĐ-DTDVĐN ngày
    # 28/9/2019)".
    "TTDVDN": {
        "edition": "2015",
        "mode": "maintain",
        "first_applied_year": 2017,
        "converted_year": 2019,
        "system_ref": "52/QĐ-DTDVĐN",
        "system_issued_on": date(2019, 9, 28),
    },
    "SCT": {"edition": "2015", "mode": "maintain", "converted_year": 2018},
    "XTHUANLOC": {
        "edition": "2015",
        "mode": "maintain",
        "system_ref": "395/QĐ-UBND",
        "system_year": 2018,
    },
}
# (agency, decision, date). Seed 001: "Quyết định số 29/QĐ-SNgV ngày 05/8/2020 về kiện toàn Ban
# Chỉ đạo ... và được áp dụng cho đến thời điểm hiện nay". Seed 002: "02 lần kiện toàn Ban chỉ đạo
# ISO tại các Quyết định: số 30/QĐ-SCT ngày 12/3/2021, số 93/QĐ-SCT ngày 30/8/2021". Seed 003: "QĐ
# thành lập số: 36/QĐ-UBND, ngày 30/6/2011, QĐ kiện toàn lần 1 số85/QĐ-UBND, ngày 13/8/2018; QĐ
# kiện toàn lần 2 số: 125/QĐ-UBND, 04/8/2020". The seeds name no members.
COMMITTEES = [
    ("SNGV", "29/QĐ-SNgV", date(2020, 8, 5)),
    ("SCT", "30/QĐ-SCT", date(2021, 3, 12)),
    ("SCT", "93/QĐ-SCT", date(2021, 8, 30)),
    ("XTHUANLOC", "36/QĐ-UBND", date(2011, 6, 30)),
    ("XTHUANLOC", "85/QĐ-UBND", date(2018, 8, 13)),
    ("XTHUANLOC", "125/QĐ-UBND", date(2020, 8, 4)),
]
# (agency, kind, decision, date, basis). Seed 001: "ngày 27/9/2018, Sở Ngoại vụ đã ban hành Quyết
# định số 37/QĐ-SNgV về việc công bố"; "trên cơ sở Quyết định số 2449/QĐ-UBND ngày 29/6/2021 của
# Ủy ban nhân dân tỉnh, Sở đã có Quyết định số 25/QĐ-SNgV ngày 16/7/2021 về việc công bố". Seed
# 002: "Quyết định số 119/QĐ-SCT ngày 10/11/2021 ... về việc công bố". Seed 003: "Công bố: năm 2018
# (QĐ số: 96/QĐ-UBND, ngày 28/8/2018)", "Công bố lại: theo QĐ số 721/QĐ-UBND, ngày 19/5/2022".
ANNOUNCEMENTS = [
    ("SNGV", "announcement", "37/QĐ-SNgV", date(2018, 9, 27), None),
    (
        "SNGV",
        "re_announcement",
        "25/QĐ-SNgV",
        date(2021, 7, 16),
        "Quyết định số 2449/QĐ-UBND ngày 29/6/2021 của Ủy ban nhân dân tỉnh",
    ),
    ("SCT", "re_announcement", "119/QĐ-SCT", date(2021, 11, 10), None),
    ("XTHUANLOC", "announcement", "96/QĐ-UBND", date(2018, 8, 28), None),
    ("XTHUANLOC", "re_announcement", "721/QĐ-UBND", date(2022, 5, 19), None),
]


def load_before_cycles(*, session: Session, today: date) -> dict[str, int]:
    """Enter the seed profiles, committees and announcements; adds nothing when run again."""
    added = {"profiles": 0, "committees": 0, "announcements": 0}
    for code, values in PROFILES.items():
        if session.get(qms.QmsProfile, iso.get_agency(session, code).id) is None:
            iso.set_profile(
                session=session, agency_code=code, values=values, actor=ACTOR, today=today
            )
            added["profiles"] += 1
    for code, ref, on in COMMITTEES:
        if on <= today and not _has(session, qms.SteeringCommittee, code, ref):
            iso.record_committee(
                session=session,
                agency_code=code,
                ref=ref,
                decided_on=on,
                members=[],
                actor=ACTOR,
                today=today,
            )
            added["committees"] += 1
    for code, kind, ref, on, basis in ANNOUNCEMENTS:
        if on <= today and not _has(session, qms.Announcement, code, ref):
            iso.record_announcement(
                session=session,
                agency_code=code,
                kind=kind,
                ref=ref,
                decided_on=on,
                basis=basis,
                actor=ACTOR,
                today=today,
            )
            added["announcements"] += 1
    return added


def load(*, session: Session, rules: RuleSet, iso_rules: Any, today: date) -> dict[str, int]:
    """Complete the open steps the seed committees and announcements answer (once opened)."""
    done = 0
    for code, ref, on in COMMITTEES:
        if on > today:
            continue
        agency = iso.get_agency(session, code)
        done += qms.complete_steps(
            session=session,
            agency_id=agency.id,
            step_types=qms.COMMITTEE_STEPS,
            done_on=on,
            ref=ref,
            actor=ACTOR,
            today=today,
        )
    for code, _kind, ref, on, _basis in ANNOUNCEMENTS:
        if on > today:
            continue
        agency = iso.get_agency(session, code)
        done += qms.complete_steps(
            session=session,
            agency_id=agency.id,
            step_types=qms.ANNOUNCEMENT_STEPS,
            done_on=on,
            ref=ref,
            actor=ACTOR,
            today=today,
        )
    session.commit()
    return {"profile_steps_done": done}


def _has(session: Session, model: Any, code: str, ref: str) -> bool:
    agency = iso.get_agency(session, code)
    return (
        session.exec(
            orm_select(model).where(model.agency_id == agency.id, model.ref == ref)
        ).first()
        is not None
    )
