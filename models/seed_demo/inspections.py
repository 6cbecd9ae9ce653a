"""The demo's inspection plan for the current year: the seeds state no inspection by Sở KH&CN of
Sở Ngoại vụ, Sở Công Thương or xã Thuận Lộc, so this is a realistic plan, not a seed figure.

TT 26/2014 Art. 33: every agency that must run a QMS is inspected through its dossier, and at
least a third of them on site. After the 2025 merger the demo names Sở KH&CN (SKHCN) itself as
the inspecting unit (domain.md §1.6: whether Hà Tĩnh's Chi cục TĐC survives is unverified); a
province whose Chi cục still inspects gives its code instead. The decision number is invented.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlmodel import Session, select as orm_select

from models import iso
from models.calendar import RuleSet
from models.iso.inspections import PlannedInspection

INSPECTOR = "SKHCN"
# On site, with the biên bản and the report-back when the day has come: (agency, month,
# biên bản day, report-back day or None when it is still due).
ON_SITE = (
    ("SNGV", 5, date(1, 5, 14), date(1, 7, 3)),
    ("SCT", 6, date(1, 6, 18), None),
    ("STP", 7, date(1, 7, 23), date(1, 9, 8)),
    ("SYT", 8, date(1, 9, 10), None),  # held after its month: late
    ("SXD", 9, None, None),
)
# Abbreviations as each agency writes them in its document numbers.
ABBREVIATIONS = {"SNGV": "SNgV"}
FINDINGS = [
    iso.FindingIn(
        "nhẹ", "Văn phòng", "Danh mục tài liệu bên ngoài chưa cập nhật văn bản mới", "7.5.3"
    ),
    iso.FindingIn("lưu ý", "Bộ phận một cửa", "Nên đo sự hài lòng của người dân định kỳ", "9.1.2"),
]


def _pick(seed: str, choices: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % choices


def load(
    *, session: Session, rules: RuleSet, iso_rules: iso.IsoRules, today: date
) -> dict[str, int]:
    """Plan the year's inspections (every agency by dossier, a third on site), record the
    biên bản of those already held and some report-backs; adds nothing when run again."""
    year = today.year
    required = iso.required_codes(session=session, year=year, rules=rules)
    onsite_codes = [c for c, *_ in ON_SITE if c in required]
    # The other on-site visits, picked the same way every run, until a third is reached.
    others = sorted(
        (c for c in required if c not in onsite_codes and c != INSPECTOR),
        key=lambda c: _pick(f"inspection:{year}:{c}", 1_000_000),
    )
    needed = max(0, -(-len(required) // 3) - len(onsite_codes))
    onsite_codes += others[:needed]
    months = {c: m for c, m, *_ in ON_SITE}
    entries = [
        # Seed 004 plans the year's visits for "tháng 11, 12" (1550/SKHCN-TĐC).
        iso.PlanEntry(c, "onsite", month=months.get(c, 11 + _pick(f"month:{c}", 2)))
        for c in onsite_codes
    ] + [
        iso.PlanEntry(c, "dossier", month=11)
        for c in required
        if c not in onsite_codes and c != INSPECTOR
    ]
    before = len(session.exec(orm_select(PlannedInspection)).all())
    iso.record_plan(
        session=session,
        inspector_code=INSPECTOR,
        year=year,
        decision_ref=f"{3000 + year % 100}/QĐ-UBND",
        decision_on=date(year - 1, 12, 12),
        entries=entries,
        actor="demo",
        rules=rules,
    )
    counts = {
        "inspections_planned": len(session.exec(orm_select(PlannedInspection)).all()) - before
    }
    held = reported = 0
    for n, (code, _, signed, report) in enumerate(ON_SITE, start=1):
        if code not in onsite_codes or signed is None:
            continue
        signed = signed.replace(year=year)
        rows = iso.agency_inspections(session=session, agency_code=code, year=year, today=today)
        if not rows or signed > today:
            continue
        if rows[0]["record_ref"] is None:
            iso.record_inspection(
                session=session,
                agency_code=code,
                year=year,
                record_ref=f"{n:02d}/BB-SKHCN",
                record_on=signed,
                findings=FINDINGS[: 1 + n % 2],
                actor="demo",
                today=today,
                iso_rules=iso_rules,
                working=rules.working,
            )
            held += 1
        if (
            report is not None
            and rows[0]["report_ref"] is None
            and report.replace(year=year) <= today
        ):
            iso.record_report_back(
                session=session,
                agency_code=code,
                year=year,
                report_ref=f"{40 + n}/BC-{ABBREVIATIONS.get(code, code)}",
                report_on=report.replace(year=year),
                actor="demo",
                today=today,
            )
            reported += 1
    return counts | {"inspections_held": held, "inspection_reports": reported}
