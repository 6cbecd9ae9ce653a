"""Sở KH&CN's documents from the data: the request letter with its outline, the chasing letter to
the late agencies, the provincial summary report to UBND tỉnh, and Phụ lục II of QĐ 19/2014
(.docx by level, .xlsx one row per agency). Every figure comes from models/iso/province_facts.py
and models/iso/province_summary.py; the layout from the templates in reports/templates/."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from models.agencies import KIND_LABELS
from models.iso.base import get_agency
from models.iso.province_facts import (
    DONE,
    DONE_LATE,
    LEVEL_LABELS,
    OVERDUE,
    PENDING,
    WAIVED,
    AgencyRow,
    StepFact,
    late_agencies,
    province_rows,
)
from models.iso.province_summary import ProvinceSummary, province_summary
from models.iso.report_checks import DEFAULT_OVERSEER_CODE
from models.iso.reporting import REQUEST_AGENCY, ReportRequest
from models.iso.scores import score_distribution, score_totals
from models.periods import PeriodRule, annual, six_month
from models.tables import AGENCY, STEP, Agency
from models.vn_format import vn_date, vn_number
from reports.document import (
    DocumentError,
    Sheet,
    letterhead,
    letterhead_context,
    render_docx,
    signature_context,
    xlsx_bytes,
)

QD19 = "Quyết định số 19/2014/QĐ-TTg của Thủ tướng Chính phủ"
TT26 = "Thông tư số 26/2014/TT-BKHCN của Bộ Khoa học và Công nghệ"
QMS = "hệ thống quản lý chất lượng (HTQLCL) theo TCVN ISO 9001"
# How a letter's "Kính gửi" names each kind of agency it is addressed to (seed 004's words).
ADDRESSEES = {
    "so": "Các Sở, Ban, ngành cấp tỉnh",
    "chi_cuc": "Các Chi cục, Ban thuộc Sở, ngành",
    "trung_tam": "Các Trung tâm thuộc Sở, ngành",
    "don_vi_su_nghiep": "Các đơn vị sự nghiệp công lập",
    "ubnd_tinh": "Văn phòng UBND tỉnh",
    "van_phong": "Văn phòng UBND tỉnh",
    "ubnd_huyen": "UBND các huyện, thành phố, thị xã",
    "ubnd_xa": "UBND các xã, phường",
    "phong": "Các phòng chuyên môn",
}
# The reporting periods' cut-off (15/12) unless the province's ISO rules set another.
DEFAULT_RULE = PeriodRule()
# Agencies named one by one in "Kính gửi" before the letter says "có tên tại bảng dưới đây".
NAMED_ADDRESSEES = 8
PHU_LUC_II_NOTE = (
    "Ghi chú: mẫu Phụ lục II của Quyết định 19/2014/QĐ-TTg chưa được đối chiếu với văn bản gốc; "
    "các cột trên là giả định của isocycle, tổng hợp từ dữ liệu các cơ quan đã nhập (x/y: số cơ "
    "quan đã thực hiện/số cơ quan phải thực hiện). Bảng chi tiết từng cơ quan ở tệp Excel kèm "
    "theo."
)


@dataclass(frozen=True)
class Signing:
    """Who signs: "KT. GIÁM ĐỐC" (or ""), the title, and the name (None: the unit's head)."""

    sign_for: str = ""
    sign_title: str = "Giám đốc"
    signer: str | None = None


def _score_distribution(
    session: Session, year: int, agency_ids: list[uuid.UUID]
) -> list[tuple[str, int]]:
    """The 7.2 self-scores of the agencies by band (models.iso.scores); [] when none of them has
    recorded a score for the year, which the summary says in words."""
    totals = score_totals(session=session, year=year, agency_ids=agency_ids)
    return score_distribution(totals) if totals else []


def _two(n: int) -> str:
    """A count as reports write it: 3 → "03", 0 → "0", 1.234 → "1.234"."""
    return f"{n:02d}" if 0 < n < 10 else vn_number(n)


def _lines(items: list[str]) -> list[str]:
    """ "Kính gửi" lines: "- X;" each, the last ending with a full stop."""
    return [f"- {x}{'.' if i == len(items) - 1 else ';'}" for i, x in enumerate(items)]


def _overseer(session: Session, unit_code: str) -> Agency:
    try:
        return get_agency(session, unit_code)
    except ValueError as exc:
        raise DocumentError(str(exc)) from exc


def _period_words(request: ReportRequest, rule: PeriodRule) -> str:
    start, end = request.period_start, request.period_end
    if (start, end) == (annual(request.year, rule).start, annual(request.year, rule).end):
        return f"năm {request.year}"
    six = six_month(request.year, rule)
    if (start, end) == (six.start, six.end):
        return f"6 tháng đầu năm {request.year}"
    return f"kỳ từ ngày {vn_date(start)} đến ngày {vn_date(end)}"


def _signature(unit: Agency, signing: Signing, recipients: list[str]) -> dict[str, Any]:
    return signature_context(
        sign_for=signing.sign_for,
        sign_title=signing.sign_title,
        signer=signing.signer if signing.signer is not None else (unit.head_name or ""),
        recipients=recipients,
        archive="VT, TĐC",
    )


# --- the request letter -------------------------------------------------------------------------


def request_letter(
    *,
    session: Session,
    request: ReportRequest,
    province: str,
    signing: Signing = Signing(),
    rule: PeriodRule = DEFAULT_RULE,
    template_dir: Path | None = None,
) -> bytes:
    """The letter a recorded request stands for (issuing it is models.iso.create_request, which
    set every asked agency's report step to its deadline): Kính gửi the kinds it asked, the
    period and deadline, the outline for the period as its annex."""
    unit = session.get(Agency, request.unit_id)
    assert unit is not None
    words = _period_words(request, rule)
    kinds = [k for k in ADDRESSEES if k in (request.recipient_kinds or [])]
    addressees = list(dict.fromkeys(ADDRESSEES[k] for k in kinds))
    a = AGENCY.c
    named = [
        name
        for name, kind in session.execute(
            select(a.name, a.kind)
            .where(a.id.in_(select(REQUEST_AGENCY.c.agency_id).where(
                REQUEST_AGENCY.c.request_id == request.id)))
            .order_by(a.code)
        ).tuples()
        if kind not in kinds
    ]  # fmt: skip
    if len(named) > NAMED_ADDRESSEES:
        addressees.append(f"{_two(len(named))} cơ quan, đơn vị khác theo danh sách của Sở")
    else:
        addressees += named
    due = request.nominal_due or request.due
    subject = request.title or f"V/v báo cáo kết quả duy trì, cải tiến HTQLCL {words}"
    if not subject.startswith("V/v"):
        subject = f"V/v {subject[:1].lower()}{subject[1:]}"
    contact = unit.name
    if unit.secretary_name:
        contact = f"{unit.name} (đồng chí {unit.secretary_name}"
        contact += f", thư điện tử {unit.secretary_email})" if unit.secretary_email else ")"
    head = letterhead(
        session, unit, doc_kind="", number=request.letter_number, issued_on=request.letter_date,
        province=province,
    )  # fmt: skip
    context = {
        **letterhead_context(head),
        **_signature(unit, signing, ["Như trên", "Giám đốc, các Phó Giám đốc Sở"]),
        "subject": subject,
        "addressees": _lines(addressees),
        "body": [
            f"Thực hiện {QD19} về việc áp dụng {QMS} vào hoạt động của các cơ quan, tổ chức "
            f"thuộc hệ thống hành chính nhà nước và {TT26}, {unit.name} tổng hợp kết quả xây "
            f"dựng, áp dụng, duy trì và cải tiến HTQLCL {words} trên địa bàn tỉnh (số liệu từ "
            f"ngày {vn_date(request.period_start)} đến ngày {vn_date(request.period_end)}) để "
            f"báo cáo UBND tỉnh và Bộ Khoa học và Công nghệ."
        ],
        "report_words": f"kết quả xây dựng, áp dụng, duy trì và cải tiến {QMS} {words}",
        "unit_name": unit.name,
        "due": vn_date(due) if due else "hạn ghi trong kế hoạch của tỉnh",
        "contact": contact,
        "outline_title": f"Kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo TCVN ISO "
        f"9001 {words}",
        "attached_to": f"Công văn số {request.letter_number} ngày {vn_date(request.letter_date)} "
        f"của {unit.name}",
        "period_words": words,
        "next_year": request.year + 1,
    }
    return render_docx("skhcn_request_letter", context, template_dir=template_dir)


# --- the chasing letter -------------------------------------------------------------------------


def _letter_facts(
    session: Session, letter: ReportRequest
) -> tuple[set[uuid.UUID], date | None, date | None]:
    """The agencies a letter asked, and its deadline as stated and as moved to a working day:
    the letter's own, else (a letter recorded without one) the calendar's, from the asked
    agencies' report steps; None and None when they have none."""
    asked = select(REQUEST_AGENCY.c.agency_id).where(REQUEST_AGENCY.c.request_id == letter.id)
    ids = set(session.execute(asked).scalars())
    if letter.due is not None:
        return ids, letter.nominal_due or letter.due, letter.due
    s = STEP.c
    stated, due = session.execute(
        select(func.min(s.nominal_due), func.min(s.due)).where(
            s.year == letter.year, s.key == letter.step_key, s.agency_id.in_(asked)
        )
    ).one()
    return ids, stated, due


def chasing_letter(
    *,
    session: Session,
    unit_code: str,
    year: int,
    today: date,
    province: str,
    number: str | None = None,
    issued_on: date | None = None,
    letter: ReportRequest | None = None,
    by: date | None = None,
    signing: Signing = Signing(),
    template_dir: Path | None = None,
) -> bytes:
    """The công văn đôn đốc to every agency late on `today` (models.iso.province_facts'
    late_agencies), a table row per late item with its deadline and days late; refuses when
    nobody is late."""
    unit = _overseer(session, unit_code)
    if letter is not None and letter.year != year:
        # Its report steps are the letter's year's: another year's letter would find none late.
        raise DocumentError(
            f"Công văn số {letter.letter_number} là công văn năm {letter.year}: hãy lập công "
            f"văn đôn đốc năm {letter.year}."
        )
    late = [x for x in late_agencies(session=session, year=year, today=today, letter=letter)
            if x.agency_id != unit.id]  # fmt: skip
    if not late:
        raise DocumentError(
            f"Đến ngày {vn_date(today)} không có cơ quan, đơn vị nào chậm thực hiện các bước "
            f"năm {year}: không cần công văn đôn đốc."
        )
    if len(late) <= NAMED_ADDRESSEES:
        addressees = [x.name for x in late]
    else:
        kinds = [k for k in ADDRESSEES if any(x.kind == k for x in late)]
        addressees = [f"{ADDRESSEES[k]} có tên tại bảng dưới đây" for k in kinds]
        addressees = list(dict.fromkeys(addressees))
    rows = []
    for n, agency in enumerate(late, start=1):
        for i, item in enumerate(agency.items):
            rows.append(
                {
                    "number": str(n) if i == 0 else "",
                    "agency": agency.name if i == 0 else "",
                    "item": item.title,
                    "due": vn_date(item.due),
                    "days": vn_number(item.days_late),
                }
            )
    body = [
        f"Thực hiện {QD19} và {TT26}, các cơ quan, đơn vị phải thực hiện đúng hạn các bước "
        f"xây dựng, áp dụng, duy trì và cải tiến HTQLCL năm {year} và báo cáo kết quả về "
        f"{unit.name}."
    ]
    context: dict[str, Any] = {"letter_ref": "", "letter_due": "", "letter_missing": ""}
    if letter is not None:
        asked, stated, due = _letter_facts(session, letter)
        ref = f"Công văn số {letter.letter_number} ngày {vn_date(letter.letter_date)}"
        # Agencies the letter did not ask may be late on the calendar's step of the same key:
        # they are in the table, not in the letter's count.
        missing = sum(
            1
            for x in late
            if x.agency_id in asked and any(i.key == letter.step_key for i in x.items)
        )
        when = f"trước ngày {vn_date(stated)}" if stated else "theo hạn trong kế hoạch của tỉnh"
        body.append(f"{unit.name} đã có {ref} đề nghị các cơ quan, đơn vị gửi báo cáo {when}.")
        if due is not None:
            context |= {
                "letter_ref": ref,
                "letter_due": vn_date(due),
                "letter_missing": _two(missing),
            }
    subject = f"V/v đôn đốc thực hiện duy trì, cải tiến HTQLCL năm {year}"
    head = letterhead(
        session, unit, doc_kind="", number=number, issued_on=issued_on, province=province,
        year=year if issued_on is None else None,
    )  # fmt: skip
    context |= {
        **letterhead_context(head),
        **_signature(
            unit, signing, ["Như trên", "UBND tỉnh (để báo cáo)", "Giám đốc, các Phó Giám đốc Sở"]
        ),
        "subject": subject,
        "addressees": _lines(addressees),
        "body": body,
        "as_of": vn_date(today),
        "late_count": _two(len(late)),
        "rows": rows,
        "unit_name": unit.name,
        "by_words": f"trước ngày {vn_date(by)}" if by else "trong thời gian sớm nhất",
    }
    return render_docx("skhcn_chasing_letter", context, template_dir=template_dir)


# --- the provincial summary ---------------------------------------------------------------------


def _rows_and_summary(
    session: Session,
    year: int,
    today: date,
    rule: PeriodRule,
    rows: list[AgencyRow] | None,
    overseer_code: str,
) -> tuple[list[AgencyRow], ProvinceSummary]:
    if rows is None:
        rows = province_rows(
            session=session, year=year, today=today, period=annual(year, rule),
            overseer_code=overseer_code,
        )  # fmt: skip
    if not rows:
        raise DocumentError(
            f"Năm {year} chưa có cơ quan nào thực hiện chu kỳ ISO (chưa mở năm bằng "
            f"`isocycle cycle open {year}`)."
        )
    return rows, province_summary(rows)


def _kind(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _ratio_rows(summary: ProvinceSummary) -> list[dict[str, str]]:
    out = []
    for line in summary.items:
        for i, kind in enumerate(summary.kinds):
            r = line.by_kind[kind]
            out.append(
                {
                    "item": line.label if i == 0 else "",
                    "kind": _kind(kind),
                    "done": r.text,
                    "on_time": r.on_time_text,
                }
            )
        out.append(
            {"item": "", "kind": "Cộng", "done": line.total.text,
             "on_time": line.total.on_time_text}
        )  # fmt: skip
    return out


def _inspection_lines(summary: ProvinceSummary, year: int) -> list[str]:
    ins = summary.inspections
    if not ins.planned:
        return [f"Năm {year} chưa có kế hoạch kiểm tra nào được ghi nhận."]
    verdict = "đạt yêu cầu tối thiểu 1/3" if ins.onsite_ok else "chưa đạt yêu cầu tối thiểu 1/3"
    f = ins.followup
    return [
        f"Theo kế hoạch, năm {year} kiểm tra {_two(ins.planned)}/{_two(ins.agencies)} cơ quan: "
        f"{_two(ins.planned_onsite)} cơ quan kiểm tra trực tiếp tại trụ sở, "
        f"{_two(ins.planned_dossier)} cơ quan kiểm tra qua hồ sơ, báo cáo.",
        f"Tỷ lệ cơ quan được kiểm tra trực tiếp: {ins.onsite_percent}, {verdict} theo Điều 33 "
        f"Thông tư 26/2014/TT-BKHCN.",
        f"Đã kiểm tra {_two(ins.held)} cơ quan ({_two(ins.held_onsite)} trực tiếp, "
        f"{_two(ins.held_dossier)} qua hồ sơ).",
        f"Sau kiểm tra: {_two(f[DONE])} cơ quan báo cáo khắc phục đúng hạn (trong 2 tháng), "
        f"{_two(f[DONE_LATE])} cơ quan báo cáo muộn, {_two(f[OVERDUE])} cơ quan quá hạn chưa "
        f"báo cáo, {_two(f[PENDING])} cơ quan chưa đến hạn.",
    ]


def province_summary_docx(
    *,
    session: Session,
    unit_code: str,
    year: int,
    today: date,
    province: str,
    score_distribution: list[tuple[str, int]],
    number: str | None = None,
    issued_on: date | None = None,
    signing: Signing = Signing(),
    rule: PeriodRule = DEFAULT_RULE,
    template_dir: Path | None = None,
    rows: list[AgencyRow] | None = None,
) -> bytes:
    """The báo cáo tổng hợp to UBND tỉnh: reports on time, announcements, the year's items x/y
    by kind with findings, updates, TTHC, budget, training, inspections, the 7.2 scores and the
    shortcomings written from the laggards. `rows` (from province_rows) spares reading the
    province again when the caller has them (the summary and its .xlsx together)."""
    unit = _overseer(session, unit_code)
    rows, s = _rows_and_summary(session, year, today, rule, rows, unit_code)
    u = s.update_counts
    updates_total = sum(u.values())
    sev = s.findings
    context = {
        **letterhead_context(
            letterhead(
                session,
                unit,
                doc_kind="BC",
                number=number,
                issued_on=issued_on,
                province=province,
                year=year if issued_on is None else None,
            )
        ),
        **_signature(
            unit,
            signing,
            ["Như trên", "Bộ Khoa học và Công nghệ (để báo cáo)", "Giám đốc, các Phó Giám đốc Sở"],
        ),
        "subtitle": f"Kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo TCVN ISO 9001 "
        f"tại các cơ quan hành chính nhà nước trên địa bàn tỉnh {province} năm {year}",
        "addressee": f"Ủy ban nhân dân tỉnh {province}",
        "intro": f"Thực hiện {QD19} và {TT26}, {unit.name} báo cáo kết quả xây dựng, áp dụng, "
        f"duy trì và cải tiến HTQLCL năm {year} (số liệu đến ngày {vn_date(today)}) như sau:",
        "scope_line": f"Năm {year}, toàn tỉnh có {_two(s.agencies)} cơ quan, đơn vị thực hiện "
        f"xây dựng, áp dụng, duy trì và cải tiến {QMS}, gồm:",
        "kind_lines": _lines(
            [f"{_kind(k)}: {_two(s.agencies_by_kind[k])} cơ quan" for k in s.kinds]
        ),
        "tthc_line": (
            f"Tổng số thủ tục hành chính thuộc thẩm quyền giải quyết của "
            f"{_two(s.tthc_agencies)} cơ quan đã báo cáo số liệu: {vn_number(s.tthc_total)} thủ "
            f"tục; số quy trình giải quyết TTHC đang áp dụng: {vn_number(s.tthc_procedures)}; số "
            f"quy trình nội bộ: {vn_number(s.internal_procedures)}."
            if s.tthc_agencies
            else f"Chưa có cơ quan nào báo cáo số thủ tục hành chính năm {year}; số quy trình "
            f"nội bộ đã ghi nhận: {vn_number(s.internal_procedures)}."
        ),
        "reports_line": f"Đến ngày {vn_date(today)}, {unit.name} đã nhận {s.reports.text} báo "
        f"cáo năm, trong đó {s.reports.on_time_text} báo cáo đúng hạn.",
        "late_reports": [
            {
                "number": str(i),
                "name": r.name,
                "due": vn_date(r.due),
                # Receipt is what counts (a report sent but not yet received is not in hand).
                "received": vn_date(r.received_on) if r.received_on else "Chưa nhận",
                "days": vn_number(r.days_late),
            }
            for i, r in enumerate(s.late_reports, start=1)
        ],  # fmt: skip
        "announce_line": f"Tính đến hết năm {year}, {s.announced.total.text} cơ quan đã công bố "
        f"HTQLCL phù hợp TCVN ISO 9001; {_two(s.reannounced.total.done)} cơ quan công bố lại "
        f"trong năm.",
        "announce_rows": [
            {
                "kind": _kind(k),
                "agencies": _two(s.agencies_by_kind[k]),
                "announced": s.announced.by_kind[k].text,
                "reannounced": _two(s.reannounced.by_kind[k].done),
            }
            for k in s.kinds
        ]
        + [
            {
                "kind": "Cộng",
                "agencies": _two(s.agencies),
                "announced": s.announced.total.text,
                "reannounced": _two(s.reannounced.total.done),
            }
        ],  # fmt: skip
        "item_rows": _ratio_rows(s),
        "findings_line": f"Qua đánh giá nội bộ của {_two(s.audited)} cơ quan, phát hiện "
        f"{_two(sev['major'])} điểm không phù hợp nặng, {_two(sev['minor'])} điểm không phù hợp "
        f"nhẹ và {_two(sev['observation'])} điểm lưu ý.",
        "updates_line": (
            f"Trong năm có {_two(updates_total)} lượt phải cập nhật quy trình theo văn bản pháp "
            f"luật mới: {_two(u[DONE])} lượt đúng hạn (trong 3 tháng), {_two(u[DONE_LATE])} lượt "
            f"muộn, {_two(u[OVERDUE])} lượt quá hạn chưa cập nhật, {_two(u[PENDING])} lượt chưa "
            f"đến hạn."
            if updates_total
            else "Trong năm không có văn bản pháp luật mới yêu cầu cập nhật quy trình."
        ),
        "budget_line": f"Tổng kinh phí bố trí cho việc xây dựng, duy trì, cải tiến HTQLCL của "
        f"{_two(s.budget_agencies)} cơ quan: {vn_number(s.budget_allocated)} đồng; đã sử dụng "
        f"{vn_number(s.budget_spent)} đồng.",
        "training_line": f"Các cơ quan đã tổ chức, tham gia {_two(s.training_courses)} lớp đào "
        f"tạo, tập huấn về ISO hành chính với {vn_number(s.training_person_times)} lượt người.",
        "inspection_lines": _inspection_lines(s, year),
        "score_rows": [{"band": band, "count": _two(n)} for band, n in score_distribution],
        "scored_line": f"{_two(sum(n for _, n in score_distribution))}/{_two(s.agencies)} cơ "
        f"quan đã gửi điểm tự chấm tiêu chí 7.2 (thang điểm 5), phân bố như sau:",
        "shortcomings": s.shortcomings,
        "proposals": [],
        "closing": f"Trên đây là báo cáo kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL "
        f"năm {year} của {unit.name}, kính báo cáo UBND tỉnh xem xét, chỉ đạo./.",
    }
    return render_docx("skhcn_summary", context, template_dir=template_dir)


def score_distribution_for(
    session: Session, year: int, today: date, rows: list[AgencyRow] | None = None
) -> list[tuple[str, int]]:
    """The 7.2 score distribution of the agencies in scope (the one place it is fetched)."""
    if rows is None:
        rows = province_rows(session=session, year=year, today=today)
    return _score_distribution(session, year, [r.agency_id for r in rows])


# --- Phụ lục II -----------------------------------------------------------------------------------


def _status(fact: StepFact | None) -> str:
    if fact is None:
        return ""
    if fact.status == DONE:
        return f"Đúng hạn ({vn_date(fact.done_on)})"
    if fact.status == DONE_LATE:
        return f"Muộn {fact.days_late} ngày ({vn_date(fact.done_on)})"
    if fact.status == OVERDUE:
        return f"Quá hạn {fact.days_late} ngày"
    if fact.status == WAIVED:
        return "Không áp dụng"
    return "Chưa đến hạn"


def _level_rows(rows: list[AgencyRow], s: ProvinceSummary) -> list[dict[str, Any]]:
    """The table by level: x/y as text, counts and the budget as numbers (the .xlsx keeps them
    numbers; the .docx writes them "25.000.000")."""
    out = []
    groups = [(LEVEL_LABELS[lv], [r for r in rows if r.level == lv]) for lv in LEVEL_LABELS]
    for label, group in [*[g for g in groups if g[1]], ("Toàn tỉnh", rows)]:
        sub = province_summary(group) if group is not rows else s
        items = {line.key: line.total for line in sub.items}
        ins = sub.inspections
        out.append(
            {
                "level": label,
                "agencies": sub.agencies,
                "announced": sub.announced.total.text,
                "reannounced": sub.reannounced.total.done,
                "plan": items["plan"].text,
                "audit": items["audit"].text,
                "review": items["review"].text,
                "updates": sub.updates.total.on_time_text,
                "inspected": f"{vn_number(ins.held_dossier)} / {vn_number(ins.held_onsite)}",
                "reports": items["report"].on_time_text,
                "budget": sub.budget_allocated,
            }
        )
    return out


def phu_luc_ii(
    *,
    session: Session,
    unit_code: str,
    year: int,
    today: date,
    province: str,
    number: str | None = None,
    issued_on: date | None = None,
    signing: Signing = Signing("TM. Ủy ban nhân dân", "Chủ tịch"),
    rule: PeriodRule = DEFAULT_RULE,
    template_dir: Path | None = None,
    rows: list[AgencyRow] | None = None,
) -> bytes:
    """Phụ lục II for Bộ KH&CN as .docx: UBND tỉnh's cover page and the table by level (cấp
    tỉnh / huyện / xã and the province); the columns are isocycle's assumption (see the note).
    `rows` (from province_rows) spares reading the province again when the caller has them."""
    unit = _overseer(session, unit_code)
    parent = session.get(Agency, unit.parent_id) if unit.parent_id else None
    issuer = parent if parent is not None and parent.kind == "ubnd_tinh" else unit
    rows, s = _rows_and_summary(session, year, today, rule, rows, unit_code)
    head = letterhead(
        session, issuer, doc_kind="BC", number=number, issued_on=issued_on, province=province,
        year=year if issued_on is None else None,
    )  # fmt: skip
    attached = f"Báo cáo số {number}" if number else "Báo cáo số      "
    attached += f" ngày {vn_date(issued_on)}" if issued_on else " ngày      "
    context = {
        **letterhead_context(head),
        **_signature(issuer, signing, ["Bộ Khoa học và Công nghệ", "Sở Khoa học và Công nghệ"]),
        "subtitle": f"Tình hình xây dựng, áp dụng hệ thống quản lý chất lượng theo TCVN ISO 9001 "
        f"tại các cơ quan hành chính nhà nước tỉnh {province} năm {year}",
        "body": [
            f"Thực hiện khoản 6 Điều 12 {QD19}, {issuer.name} báo cáo tình hình xây dựng, áp "
            f"dụng, duy trì và cải tiến {QMS} năm {year} (số liệu đến ngày {vn_date(today)}) "
            f"của {_two(s.agencies)} cơ quan, đơn vị trên địa bàn tỉnh, chi tiết tại Phụ lục II "
            f"kèm theo."
        ],
        "table_title": f"TỔNG HỢP TÌNH HÌNH XÂY DỰNG, ÁP DỤNG HTQLCL THEO TCVN ISO 9001 NĂM {year}",
        "attached_to": attached,
        "level_rows": [
            {k: vn_number(v) if isinstance(v, int) else v for k, v in row.items()}
            for row in _level_rows(rows, s)
        ],
        "note": PHU_LUC_II_NOTE,
    }
    return render_docx("phu_luc_ii", context, template_dir=template_dir)


XLSX_HEADER = [
    "Mã", "Cơ quan, đơn vị", "Loại", "Cấp", "Đơn vị cấp trên", "Công bố lần đầu",
    "Quyết định công bố gần nhất", "Ngày quyết định", "Công bố lại trong năm", "Kế hoạch",
    "Mục tiêu chất lượng", "Đánh giá nội bộ", "KPH nặng", "KPH nhẹ", "Điểm lưu ý",
    "Xem xét của lãnh đạo", "Hành động khắc phục", "Cập nhật đúng hạn", "Cập nhật muộn",
    "Cập nhật quá hạn", "Số TTHC", "Quy trình TTHC", "Quy trình nội bộ", "Kinh phí cấp (đồng)",
    "Kinh phí đã chi (đồng)", "Lớp đào tạo", "Lượt người", "Hạn gửi báo cáo", "Báo cáo",
    "Hình thức kiểm tra", "Ngày kiểm tra", "Báo cáo khắc phục sau kiểm tra",
]  # fmt: skip
FORM_WORDS = {"dossier": "Qua hồ sơ, báo cáo", "onsite": "Trực tiếp tại trụ sở"}


def _xlsx_row(r: AgencyRow) -> list[Any]:
    return [
        r.code, r.name, _kind(r.kind), LEVEL_LABELS[r.level], r.parent_code or "",
        r.first_announced_on, r.latest_announcement_ref or "", r.latest_announcement_on,
        "có" if r.reannounced_in_year else "",
        _status(r.items.get("plan")), _status(r.items.get("objectives")),
        _status(r.items.get("audit")), r.findings["major"], r.findings["minor"],
        r.findings["observation"], _status(r.items.get("review")),
        _status(r.items.get("actions")), r.count(DONE), r.count(DONE_LATE), r.count(OVERDUE),
        r.tthc_total, r.tthc_procedures, r.internal_procedures, r.budget_allocated,
        r.budget_spent, r.training_courses, r.training_person_times,
        r.report.due if r.report else None, _status(r.report),
        FORM_WORDS.get(r.inspection_form or "", ""), r.inspection_held_on, _status(r.followup),
    ]  # fmt: skip


def phu_luc_ii_xlsx(
    *,
    session: Session,
    year: int,
    today: date,
    province: str,
    rule: PeriodRule = DEFAULT_RULE,
    rows: list[AgencyRow] | None = None,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> bytes:
    """The whole table as .xlsx: one row per agency (sheet "Phụ lục II"), and the levels'
    totals (sheet "Theo cấp"); dates and amounts stay dates and numbers. `rows` as above;
    `overseer_code` names Sở KH&CN, who receives the reports and sends none."""
    rows, s = _rows_and_summary(session, year, today, rule, rows, overseer_code)
    heading = [
        f"PHỤ LỤC II - TÌNH HÌNH XÂY DỰNG, ÁP DỤNG HTQLCL THEO TCVN ISO 9001 NĂM {year}",
        f"Tỉnh {province}; số liệu đến ngày {vn_date(today)}; {vn_number(s.agencies)} cơ quan, "
        "đơn vị.",
        PHU_LUC_II_NOTE,
    ]
    levels = _level_rows(rows, s)
    return xlsx_bytes(
        [
            Sheet("Phụ lục II", XLSX_HEADER, [_xlsx_row(r) for r in rows], heading=heading),
            Sheet(
                "Theo cấp",
                [
                    "Cấp",
                    "Số cơ quan",
                    "Đã công bố",
                    "Công bố lại trong năm",
                    "Có kế hoạch",
                    "Đánh giá nội bộ",
                    "Xem xét của lãnh đạo",
                    "Cập nhật đúng hạn (lượt)",
                    "Kiểm tra (hồ sơ / trực tiếp)",
                    "Báo cáo đúng hạn",
                    "Kinh phí (đồng)",
                ],
                [list(row.values()) for row in levels],
                heading=heading[:2],
            ),  # fmt: skip
        ]
    )
