"""A realistic Hà Tĩnh dataset, built from the seed reports and the 2025 list of communes."""

from __future__ import annotations

import csv
import hashlib
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, inspect, select, text
from sqlmodel import Session, SQLModel, col, select as orm_select

from config.settings import CONFIG_DIR
from models import instance, iso, seed_demo
from models.agencies import FIELDS, document_abbreviation, upsert_agencies
from models.calendar import RuleSet
from models.cycles import mark_done, open_cycle
from models.tables import AGENCY, STEP, STEP_OPEN, Agency, Step

UNITS_CSV = CONFIG_DIR / "data" / "vn_units_2025.csv"
HA_TINH = "42"
MAIL_DOMAIN = "demo.hatinh.example"  # RFC 2606: can never reach a real mailbox
RESTRUCTURED_ON = date(2025, 7, 1)
# On 1/7/2025 (NQ 1665/NQ-UBTVQH15) Hà Tĩnh's 209 communes became 69: 207 were merged into 67
# new ones, and these 2 (xã Sơn Kim 1, xã Sơn Kim 2) were not merged. They keep the valid_from
# they had (none recorded: in operation before the demo's first year), and their earlier cycles.
UNMERGED_UNITS = {"18196": "Sơn Kim 1", "18199": "Sơn Kim 2"}

# (code, name, kind, parent): the province's own agencies, as named in the seed reports.
PROVINCE_AGENCIES = [
    ("HATINH", "UBND tỉnh Hà Tĩnh", "ubnd_tinh", None),
    ("VPUBND", "Văn phòng UBND tỉnh Hà Tĩnh", "van_phong", "HATINH"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "so", "HATINH"),
    ("SNGV", "Sở Ngoại vụ", "so", "HATINH"),
    ("TTDVDN", "Trung tâm Dịch thuật và Dịch vụ đối ngoại", "trung_tam", "SNGV"),
    ("SCT", "Sở Công Thương", "so", "HATINH"),
    ("CCQLTT", "Chi cục Quản lý thị trường", "chi_cuc", "SCT"),
    ("SNV", "Sở Nội vụ", "so", "HATINH"),
    ("STC", "Sở Tài chính", "so", "HATINH"),
    ("SXD", "Sở Xây dựng", "so", "HATINH"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "so", "HATINH"),
    ("SYT", "Sở Y tế", "so", "HATINH"),
    ("STP", "Sở Tư pháp", "so", "HATINH"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "so", "HATINH"),
    ("CCKL", "Chi cục Kiểm lâm", "chi_cuc", "SNNMT"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "so", "HATINH"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "so", "HATINH"),
    ("TTR", "Thanh tra tỉnh", "so", "HATINH"),
]
# Before 1/7/2025: thị xã Hồng Lĩnh and its commune Thuận Lộc (seed 003), kept with their history.
HISTORICAL_AGENCIES = [
    ("TXHL", "UBND thị xã Hồng Lĩnh", "ubnd_huyen", "HATINH"),
    ("XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "TXHL"),
    ("XTHUANLOC-VP", "Văn phòng HĐND và UBND xã Thuận Lộc", "phong", "XTHUANLOC"),
]
# How each agency writes itself in its document numbers, as the seeds show (177/BC-SNgV,
# 52/QĐ-DTDVĐN, 51/KH-SCT, 45/KH-SKHCN); the people's committees number theirs "…-UBND"
# (document_abbreviation), so they need none.
ABBREVIATIONS = {
    "VPUBND": "VPUBND",
    "SKHCN": "SKHCN",
    "SNGV": "SNgV",
    "TTDVDN": "DTDVĐN",
    "SCT": "SCT",
    "CCQLTT": "CCQLTT",
    "SNV": "SNV",
    "STC": "STC",
    "SXD": "SXD",
    "SGDDT": "SGDĐT",
    "SYT": "SYT",
    "STP": "STP",
    "SNNMT": "SNNMT",
    "CCKL": "CCKL",
    "SVHTTDL": "SVHTTDL",
    "SDTTG": "SDTTG",
    "TTR": "TTr",
}
PEOPLE = [
    "Nguyễn Thị Hà",
    "Trần Văn Minh",
    "Lê Thị Thu",
    "Phạm Quốc Huy",
    "Hoàng Thị Lan",
    "Võ Văn Đức",
    "Đặng Thị Nga",
    "Bùi Xuân Trường",
    "Đỗ Thị Hương",
    "Hồ Sỹ Tùng",
]


def _mailbox(code: str, role: str) -> str:
    return f"{role}.{code.lower()}@{MAIL_DOMAIN}"


def _pick(seed: str, choices: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % choices


def ha_tinh_communes(path: Path = UNITS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["province_code"] == HA_TINH]


def demo_rows() -> tuple[list[str], list[list[str]]]:
    """Return the import header and rows of the demo province."""
    rows: list[list[str]] = []

    def add(
        code: str,
        name: str,
        kind: str,
        parent: str | None,
        valid_from: str = "",
        valid_to: str = "",
    ) -> None:
        secretary, head = PEOPLE[_pick(code, len(PEOPLE))], PEOPLE[_pick(code + "h", len(PEOPLE))]
        rows.append(
            [
                code,
                name,
                kind,
                parent or "",
                secretary,
                _mailbox(code, "thuky"),
                head,
                _mailbox(code, "thutruong"),
                "1" if not valid_to else "0",
                valid_from,
                valid_to,
                ABBREVIATIONS.get(code, ""),
            ]
        )

    for code, name, kind, parent in PROVINCE_AGENCIES:
        add(code, name, kind, parent)
    for code, name, kind, parent in HISTORICAL_AGENCIES:
        add(
            code,
            name,
            kind,
            parent,
            "2018-01-01",
            (RESTRUCTURED_ON - timedelta(days=1)).isoformat(),
        )
    for unit in ha_tinh_communes():
        unmerged = unit["unit_code"] in UNMERGED_UNITS
        add(
            f"UB{unit['unit_code']}",
            commune_agency_name(unit),
            "ubnd_xa",
            "HATINH",
            "" if unmerged else RESTRUCTURED_ON.isoformat(),
        )
    return list(FIELDS), rows


def commune_agency_name(unit: dict[str, str]) -> str:
    """The people's committee of a unit as Vietnamese style writes it: "UBND xã Sơn Hồng".

    The unit type is a common noun inside a name ("UBND phường Thành Sen", "UBND đặc khu ..."),
    not capitalised as at the start of the list's "Xã Sơn Hồng".
    """
    return f"UBND {unit['unit_type'].lower()} {unit['unit_name']}"


class NotADemoDatabase(Exception):
    """The database holds data the demo did not create; the message says so, in Vietnamese."""


def tables_with_foreign_data(conn: Connection) -> list[str]:
    """The tables that keep the demo out of this database (read only, nothing written).

    None in a database the demo has marked as its own, or in one with no rows yet (new, or
    just initialised); otherwise every table with a row, and any table isocycle does not know.
    """
    import models.all_tables  # noqa: F401  (every table isocycle has, not only the demo's)

    if instance.get(conn, instance.DEMO) is not None:
        return []
    ours = {t.name for t in SQLModel.metadata.sorted_tables} - {instance.INSTANCE.name}
    quote = conn.dialect.identifier_preparer.quote
    found = []
    for name in sorted(inspect(conn).get_table_names()):
        if name in ("alembic_version", instance.INSTANCE.name):
            continue  # the schema's stamp and facts about the database are not data
        if name not in ours or conn.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first():
            found.append(name)
    return found


def refusal_message(tables: list[str]) -> str:
    shown = ", ".join(tables[:6]) + (", …" if len(tables) > 6 else "")
    return (
        f"cơ sở dữ liệu này đã có dữ liệu không do bản thử (demo) tạo ra (bảng {shown}); bản "
        "thử không ghi gì vào đó và không tạo tài khoản thử ở đó. Hãy chạy bản thử trên một cơ "
        "sở dữ liệu riêng, ví dụ: isocycle --db sqlite:///isocycle-demo.db demo (hoặc make "
        "demo). Nếu đây đúng là tệp thử cũ, tạo trước khi bản thử biết đánh dấu tệp của mình, "
        "hãy xoá tệp đó (make clean) rồi chạy lại"
    )


def claim_database(session: Session) -> None:
    """Mark the database as the demo's, or raise NotADemoDatabase (writing nothing) when it holds
    data the demo did not create."""
    conn = session.connection()
    tables = tables_with_foreign_data(conn)
    if tables:
        session.rollback()
        raise NotADemoDatabase(refusal_message(tables))
    instance.put_once(conn, instance.DEMO, "isocycle demo")
    session.commit()


def load_demo(*, session: Session, rules: RuleSet, today: date) -> dict[str, int]:
    """Load the demo agencies, open the seed years, last year and this year, complete a mix.

    About six in ten past-due steps are done on time, one in six late, and the rest left open;
    a seed agency's steps in its seed year are all done on time, as its report says.
    Only into a database that is new or the demo's own (claim_database): else NotADemoDatabase.
    """
    claim_database(session)
    imported = upsert_agencies(session=session, header=demo_rows()[0], data=demo_rows()[1])
    counts = {"agencies": imported.created + imported.updated + imported.unchanged}
    # Before the years open: a steering committee on record decides whether a year has its step.
    counts |= seed_demo.load_before_cycles(session=session, today=today)
    years = sorted({*seed_demo.SEED_YEARS, today.year - 1, today.year})
    for year in years:
        counts[f"steps_{year}"] = open_cycle(
            session=session, year=year, rules=rules, actor="demo"
        ).created
    counts |= load_demo_records(session=session, rules=rules, today=today)
    codes: dict[uuid.UUID, str] = dict(
        session.execute(select(AGENCY.c.id, AGENCY.c.code)).tuples().all()
    )
    abbreviations = {a.id: document_abbreviation(a) for a in session.exec(orm_select(Agency))}
    documents = {r.key: r.document or "VB" for r in rules.steps}  # VB: văn bản, type unknown
    done = 0
    with_records = set(_demo_record_codes(session))
    by_seed_records = seed_demo.steps_the_seeds_record()
    for year in years:
        steps = session.exec(
            orm_select(Step)
            .where(Step.year == year, Step.state == STEP_OPEN, col(Step.due) <= today)
            .where(col(Step.key) == col(Step.step_type))  # calendar steps; records own the rest
            .order_by(col(Step.due))
        ).all()
        for step in steps:
            code = codes[step.agency_id]
            if code in with_records and step.step_type in RECORD_STEPS and year >= today.year - 1:
                continue  # completed (or left open) by the records, not by chance
            if (code, year, step.step_type) in by_seed_records:
                continue  # completed by the audit or review the seed dates
            if codes[step.agency_id] in seed_demo.SEED_AGENCIES and step.step_type in SEED_STEPS:
                continue  # completed by the seed's own decisions (models/seed_demo/profile.py)
            roll = _pick(f"{codes[step.agency_id]}:{year}:{step.key}", 12)
            if seed_demo.SEED_AGENCIES.get(code) == year:
                # The seed reports say these were done on time (seed 002: "Thực hiện đầy đủ, kịp
                # thời"); a late date by chance would contradict their 7.2.1 self-score.
                roll = min(roll, 7)
            if roll >= 10 and year == today.year:
                continue  # left open: overdue
            offset = -_pick(step.key + str(year), 9) if roll < 8 else 3 + roll * 2
            done_on = min(step.due + timedelta(days=offset), today)
            ref = f"{10 + roll * 7}/{documents.get(step.key, 'VB')}-{abbreviations[step.agency_id]}"
            done += mark_done(
                session=session,
                step=step,
                done_on=done_on,
                ref=ref,
                note=None,
                actor="demo",
                today=today,
                check=False,
            )
    counts["steps_done"] = done
    counts |= seed_demo.load_seed_figures(session=session, rules=rules, today=today)
    return counts


# Findings as the seed reports word them: (severity, clause, unit, description, action).
DEMO_FINDINGS = [
    (
        "major",
        "8.5.1",
        "Bộ phận Một cửa",
        "Hồ sơ giải quyết trễ hạn không có phiếu xin lỗi, hẹn lại ngày trả kết quả",
        "Rà soát hồ sơ trễ hạn, lập phiếu xin lỗi theo mẫu và nhắc việc tự động",
    ),
    (
        "minor",
        "7.5.3",
        "Văn phòng",
        "Danh mục tài liệu nội bộ chưa cập nhật quy trình đã sửa đổi",
        "Cập nhật danh mục tài liệu, thu hồi bản cũ tại các phòng",
    ),
    (
        "minor",
        "9.1.3",
        "Phòng chuyên môn",
        "Chưa phân tích kết quả đo lường mục tiêu chất lượng 6 tháng",
        "Lập báo cáo phân tích mục tiêu 6 tháng, trình lãnh đạo",
    ),
    (
        "observation",
        "7.1.6",
        "Văn phòng",
        "Nên số hoá sổ theo dõi văn bản đến để tra cứu nhanh",
        None,
    ),
]
# The calendar steps that the records of load_demo_records complete.
RECORD_STEPS = {
    "internal_audit",
    "management_review",
    "corrective_actions",
    "quality_objectives",
    "objectives_review",
}
# The calendar steps that the seed agencies' committee and announcement decisions complete.
SEED_STEPS = {"steering_committee", "build_committee", "announce"}
DEMO_OBJECTIVES = [
    ("Tỷ lệ hồ sơ TTHC giải quyết đúng hạn", ">=", 98.0, "%"),
    ("Tỷ lệ hài lòng của tổ chức, cá nhân", ">=", 90.0, "%"),
    ("Số phản ánh, kiến nghị về thái độ phục vụ", "<=", 2.0, "vụ"),
]


def _demo_record_codes(session: Session, year: int | None = None) -> list[str]:
    """SNGV, SCT and the first two communes of the demo province (with a cycle in `year`)."""
    wanted = ["SNGV", "SCT"] + [f"UB{u['unit_code']}" for u in ha_tinh_communes()[:2]]
    query = select(AGENCY.c.code).where(AGENCY.c.code.in_(wanted))
    if year is not None:
        # Communes began on 1/7/2025: they have no cycle before 2026.
        query = query.join(STEP, STEP.c.agency_id == AGENCY.c.id).where(
            STEP.c.year == year, STEP.c.key == "internal_audit"
        )
    present = set(session.execute(query).scalars())
    return [c for c in wanted if c in present]


def load_demo_records(*, session: Session, rules: RuleSet, today: date) -> dict[str, int]:
    """Record audits, findings, corrective actions, objectives and reviews for a few agencies.

    Last year's records are complete; this year's only go as far as `today`. Records already
    there are left alone, so loading the demo twice adds nothing.
    """
    iso_rules = iso.load_iso_rules()
    counts = {"audits": 0, "actions": 0, "objectives": 0}
    for year in (today.year - 1, today.year):
        for i, code in enumerate(_demo_record_codes(session, year)):
            counts["objectives"] += _demo_objectives(session, code, year, i, today)
            audits, actions = _demo_audit(session, rules, iso_rules, code, year, i, today)
            counts["audits"] += audits
            counts["actions"] += actions
    return counts


def _demo_objectives(session: Session, code: str, year: int, i: int, today: date) -> int:
    agency = iso.get_agency(session, code)
    exists = session.exec(
        orm_select(iso.QualityObjective).where(
            iso.QualityObjective.agency_id == agency.id, iso.QualityObjective.year == year
        )
    ).first()
    issued = date(year, 2, 2 + i)
    step = session.execute(
        select(STEP.c.id).where(
            STEP.c.agency_id == agency.id, STEP.c.year == year, STEP.c.key == "quality_objectives"
        )
    ).first()
    if exists is not None or issued > today or step is None:
        return 0  # recorded already, not yet issued, or the agency began after mid-February
    slug = document_abbreviation(agency)
    iso.set_objective_decision(
        session=session,
        agency_code=code,
        year=year,
        ref=f"{10 + i}/QĐ-{slug}",
        issued_on=issued,
        actor="demo",
        today=today,
    )
    roll = _pick(f"{code}:{year}:objectives", 4)
    mid_known = date(year, 7, 10) <= today
    final_on = date(year, 12, 10)
    final_known = final_on <= today
    objectives = []
    for n, (indicator, comparison, target, unit) in enumerate(DEMO_OBJECTIVES):
        # One objective in four misses its target, as the seed reports show.
        miss = n == roll
        final = target - 3 if comparison == ">=" and miss else target + (2 if miss else 0)
        if comparison == ">=" and not miss:
            final = min(target + 1.5, 100.0)
        if comparison == "<=" and not miss:
            final = max(target - 1, 0.0)
        objectives.append(
            iso.ObjectiveIn(
                indicator=indicator,
                comparison=comparison,
                target=target,
                unit=unit,
                mid_value=final - 1 if mid_known and comparison == ">=" else None,
                final_value=final if final_known else None,
            )
        )
    numbers = iso.add_objectives(
        session=session,
        agency_code=code,
        year=year,
        objectives=objectives,
        actor="demo",
        today=today,
        results_on=final_on if final_known else None,
    )
    return len(numbers)


def _demo_audit(
    session: Session,
    rules: RuleSet,
    iso_rules: iso.IsoRules,
    code: str,
    year: int,
    i: int,
    today: date,
) -> tuple[int, int]:
    agency = iso.get_agency(session, code)
    exists = session.exec(
        orm_select(iso.InternalAudit).where(
            iso.InternalAudit.agency_id == agency.id, iso.InternalAudit.year == year
        )
    ).first()
    start = rules.working.on_or_after(date(year, 9, 22) + timedelta(days=3 * i))
    end = rules.working.add_working_days(start, 2)
    if exists is not None or end > today:
        return 0, 0
    picked = [f for n, f in enumerate(DEMO_FINDINGS) if _pick(f"{code}:{year}:{n}", 3) or n == 1]
    slug = document_abbreviation(agency)
    iso.record_audit(
        session=session,
        agency_code=code,
        year=year,
        start_on=start,
        end_on=end,
        ref=f"{20 + i}/BC-{slug}",  # the internal audit report (báo cáo đánh giá nội bộ)
        team=f"{PEOPLE[_pick(code + 'team', len(PEOPLE))]} (trưởng đoàn) và 2 chuyên gia",
        scope_units=sorted({f[2] for f in picked}),
        findings=[
            iso.FindingIn(severity=s, clause=c, unit=u, description=d) for s, c, u, d, _ in picked
        ],
        actor="demo",
        today=today,
    )
    actions = 0
    for number, (_, _, unit, _, action_text) in enumerate(picked, start=1):
        if action_text is None:
            continue
        action = iso.add_action(
            session=session,
            agency_code=code,
            year=year,
            finding_number=number,
            owner_name=f"Trưởng {unit.lower()}",
            owner_email=_mailbox(code, "thuky"),
            description=action_text,
            actor="demo",
            rules=iso_rules,
            working=rules.working,
        )
        actions += 1
        done_on = action.due - timedelta(days=_pick(f"{code}:{year}:a{number}", 12) - 3)
        if done_on > today:
            continue  # still open (overdue once its due date passes)
        iso.complete_action(
            session=session,
            agency_code=code,
            year=year,
            number=action.number,
            done_on=done_on,
            actor="demo",
            today=today,
        )
        verified_on = rules.working.add_working_days(done_on, 10)
        if verified_on <= today:
            iso.verify_action(
                session=session,
                agency_code=code,
                year=year,
                number=action.number,
                verified_on=verified_on,
                verified_by=f"{PEOPLE[_pick(code + 'h', len(PEOPLE))]} (thủ trưởng)",
                effective=True,
                actor="demo",
                today=today,
                rules=iso_rules,
                working=rules.working,
            )
    held_on = rules.working.add_working_days(end, 15)
    if held_on <= today:
        iso.record_review(
            session=session,
            agency_code=code,
            year=year,
            held_on=held_on,
            minutes_ref=f"{5 + i}/BB-{slug}",  # the review's minutes (biên bản)
            decisions="Duy trì HTQLCL; khắc phục dứt điểm các điểm không phù hợp trước 15/12.",
            actor="demo",
            today=today,
        )
    return 1, actions
