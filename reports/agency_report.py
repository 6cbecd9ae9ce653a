"""The agency's 6-month or annual report (.docx) with Phụ lục IA, IIA and 1, and the same three
tables as .xlsx: isocycle's records (models.iso.report_facts) and the secretary's draft
(models.iso.report_drafts) put into reports/templates/agency_report.docx.

Every sentence the records can state is written here, in Vietnamese, with numbers and dates the
Vietnamese way; what only a person can write stays a marked placeholder until it is typed. The
7.2 self-score is passed in (`score_cards`): this module does not score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session

from models.iso import report_facts as rf
from models.iso.base import IsoError, get_agency
from models.iso.profile import ANNOUNCEMENT_LABELS
from models.iso.report_drafts import PROSE, ReportDraft, get_draft, recipient_lines
from models.iso.scheme import scheme_for_year
from models.iso.scores import annex_ia_rows
from models.periods import Period, PeriodRule, annual, six_month
from models.vn_format import vn_date, vn_number
from reports.document import (
    DocumentError,
    Sheet,
    letterhead,
    letterhead_context,
    paragraphs,
    render_docx,
    signature_context,
    xlsx_bytes,
)

TEMPLATE = "agency_report"
NOT_SCORED = "Chưa chấm điểm"
# The criteria of Phụ lục IA as Hà Tĩnh's form heads them while no score card gives their maxima.
IA_CODES = ("7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.2.5", "7.2.6")
# Whom a report goes to when the secretary typed no recipients and no letter asked for it.
DEFAULT_RECIPIENT = "Sở Khoa học và Công nghệ"


class CriterionLike(Protocol):
    """One criterion of a score card: its code (7.2.1), maximum, points given and a note."""

    @property
    def code(self) -> str: ...
    @property
    def max_points(self) -> Decimal | float: ...
    @property
    def points(self) -> Decimal | float | None: ...
    @property
    def note(self) -> str | None: ...


class ScoreCardLike(Protocol):
    """A unit's 7.2 self-score as models.iso.scores gives it (this module only prints it)."""

    @property
    def agency_name(self) -> str: ...
    @property
    def criteria(self) -> Sequence[CriterionLike]: ...
    @property
    def total(self) -> Decimal | float | None: ...
    @property
    def max_total(self) -> Decimal | float: ...


@dataclass(frozen=True)
class AgencyReport:
    """A rendered report: the .docx bytes and the name to save it under."""

    data: bytes
    file_name: str


# --- small formatting ---------------------------------------------------------------------------


def count(n: int | None) -> str:
    """A count as the reports write it: two digits below ten ("05"), "0" for none."""
    if n is None:
        return ""
    return f"{n:02d}" if 0 < n < 10 else vn_number(n)


def points(value: Decimal | float | None) -> str:
    return "" if value is None else vn_number(value)


def doc_ref(number: str, on: date | None, what: str = "") -> str:
    """ "Quyết định số 25/QĐ-SNgV ngày 16/07/2021" style, for any document."""
    head = f"{what} số {number}" if what else f"số {number}"
    return f"{head} ngày {vn_date(on)}" if on else head


def _month_span(start: date, end: date) -> bool:
    """Whether an audit is recorded over a whole month (the report gave only the month)."""
    return start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month


def audit_when(start: date, end: date) -> str:
    if _month_span(start, end):
        return f"{start.month:02d}/{start.year}"
    if start == end:
        return vn_date(start)
    return f"{vn_date(start)} – {vn_date(end)}"


def _announcement(a: rf.AnnouncementFacts | None) -> str:
    """ "công bố lại theo Quyết định số 25/QĐ-SNgV ngày 16/07/2021" (lower case: mid-sentence)."""
    if a is None:
        return ""
    return f"{ANNOUNCEMENT_LABELS[a.kind]} theo Quyết định {doc_ref(a.ref, a.decided_on)}"


# --- the report's text --------------------------------------------------------------------------


def _period_words(facts: rf.AgencyFacts) -> str:
    if facts.variant == rf.SIX_MONTH:
        return f"6 tháng đầu năm {facts.year}"
    return f"năm {facts.year}"


def _bases(facts: rf.AgencyFacts) -> str:
    parts = []
    if facts.plan is not None:
        parts.append(f"Kế hoạch {doc_ref(facts.plan.number, facts.plan.issued_on)}")
        if facts.plan.title:
            parts[-1] += f" ({facts.plan.title[:1].lower() + facts.plan.title[1:]})"
    if facts.request is not None:
        r = facts.request
        parts.append(f"Công văn {doc_ref(r.letter_number, r.letter_date)} của {r.unit_name}")
    said = "; ".join(parts) if parts else "Kế hoạch duy trì, cải tiến HTQLCL của cơ quan"
    return (
        f"Thực hiện {said}, {facts.name} báo cáo kết quả xây dựng, áp dụng, duy trì và cải tiến "
        f"hệ thống quản lý chất lượng theo {facts.standard} {_period_words(facts)} như sau:"
    )


def _tthc_lines(facts: rf.AgencyFacts) -> list[str]:
    lines = []
    t = facts.tthc
    if t is None:
        lines.append("- Chưa nhập số liệu thủ tục hành chính (TTHC) của kỳ báo cáo.")
    else:
        lines.append(
            f"- Số TTHC thuộc thẩm quyền giải quyết của {facts.name} theo phê duyệt của UBND "
            f"tỉnh đến thời điểm báo cáo: {count(t['total'])} thủ tục"
            + (f" (Quyết định {t['decisions']})." if t["decisions"] else ".")
        )
        lines.append(
            f"- Số TTHC được sửa đổi, bổ sung: {count(t['amended'])} thủ tục; ban hành mới: "
            f"{count(t['new'])} thủ tục; bãi bỏ: {count(t['abolished'])} thủ tục."
        )
    lines.append(
        f"- Số TTHC đưa vào áp dụng HTQLCL (quy trình giải quyết TTHC): "
        f"{count(facts.procedure_counts['tthc'])} quy trình; số quy trình nội bộ xây dựng và áp "
        f"dụng: {count(facts.procedure_counts['internal'])} quy trình."
    )
    d = facts.dossiers
    if d is None:
        lines.append("- Chưa nhập số liệu hồ sơ TTHC của kỳ báo cáo.")
    else:
        lines.append(
            f"- Số hồ sơ TTHC phát sinh (tính từ {vn_date(d['period_start'])} đến "
            f"{vn_date(d['period_end'])}): {vn_number(d['received'])} hồ sơ; số hồ sơ giải quyết "
            f"quá hạn: {vn_number(d['late'])} hồ sơ."
        )
        lines.append(
            "- Số hồ sơ được gắn kèm kết quả trả trên phần mềm dịch vụ công trực tuyến: "
            f"{vn_number(d['with_results'])} hồ sơ."
        )
    return lines


def _announcement_lines(facts: rf.AgencyFacts) -> list[str]:
    first, latest = facts.first_announcement, facts.latest_announcement
    if first is None or latest is None:
        return [f"- {facts.name} chưa công bố HTQLCL phù hợp {facts.standard}."]
    lines = [f"- Công bố lần đầu theo Quyết định {doc_ref(first.ref, first.decided_on)}."]
    if latest.ref != first.ref:
        basis = f", trên cơ sở {latest.basis}" if latest.basis else ""
        lines.append(f"- Gần nhất: {_announcement(latest)}{basis}.")
    said = {first.ref, latest.ref}
    lines += [
        f"- Trong kỳ báo cáo: {_announcement(a)}."
        for a in facts.announcements_in_period
        if a.ref not in said
    ]
    if not facts.announcements_in_period:
        lines.append("- Trong kỳ báo cáo không có quyết định công bố, công bố lại.")
    return lines


def _document_lines(facts: rf.AgencyFacts) -> list[str]:
    if not facts.directing_documents:
        return ["- Trong kỳ báo cáo chưa ghi nhận văn bản chỉ đạo, điều hành nào."]
    out = []
    for d in facts.directing_documents:
        ref = doc_ref(d.number, d.issued_on) if d.number else f"ngày {vn_date(d.issued_on)}"
        out.append(f"- {d.title} {ref}." if d.number else f"- {d.title} {ref}.")
    return out


def _objective_rows(facts: rf.AgencyFacts) -> list[dict[str, str]]:
    words = {True: "Đạt", False: "Không đạt", None: "Chưa có kết quả"}
    sign = {">=": "≥", "<=": "≤", "=": "=", ">": ">", "<": "<"}
    return [
        {
            "no": str(o.number),
            "indicator": o.indicator,
            "target": f"{sign.get(o.comparison, o.comparison)} {vn_number(o.target)}{o.unit}",
            "result": "" if o.result is None else f"{vn_number(o.result)}{o.unit}",
            "achieved": words[o.achieved],
        }
        for o in facts.objectives
    ]


def _result_lines(facts: rf.AgencyFacts) -> dict[str, list[str]]:
    """Section II's paragraphs, by subsection."""
    out: dict[str, list[str]] = {}
    c = facts.committee
    out["committee"] = [
        f"- Ban Chỉ đạo ISO được kiện toàn theo Quyết định {doc_ref(c.number, c.issued_on)}, "
        "áp dụng đến thời điểm báo cáo."
        if c
        else "- Chưa ghi nhận quyết định thành lập, kiện toàn Ban Chỉ đạo ISO."
    ]
    total = len(facts.objectives)
    decision = facts.objective_decision
    if total:
        by = f" (Quyết định {doc_ref(decision.number, decision.issued_on)})" if decision else ""
        out["objectives"] = [
            f"- {facts.name} xây dựng {count(total)} mục tiêu chất lượng {facts.year}{by}; "
            f"kết quả: {objectives_summary(facts)}."
        ]
    else:
        out["objectives"] = [f"- Chưa ghi nhận mục tiêu chất lượng năm {facts.year}."]
    if facts.audits:
        f = facts.findings
        dates = "; ".join(audit_when(a.start_on, a.end_on) for a in facts.audits)
        out["audit"] = [
            f"- Số lần đánh giá nội bộ trong kỳ: {count(len(facts.audits))} lần.",
            f"- Thời gian tổ chức đánh giá: {dates}.",
            f"- Điểm không phù hợp nặng: {count(f['major'])}; điểm không phù hợp nhẹ: "
            f"{count(f['minor'])}; điểm lưu ý: {count(f['observation'])}.",
        ]
    else:
        out["audit"] = ["- Trong kỳ báo cáo chưa tổ chức đánh giá nội bộ."]
    a = facts.actions
    out["actions"] = [
        f"- Hành động khắc phục: mở {count(a.opened)}, đã hoàn thành và xác nhận hiệu lực "
        f"{count(a.closed)}, chậm hạn {count(a.late)}."
    ]
    if not facts.procedure_updates:
        out["updates"] = [
            "- Trong kỳ không có văn bản pháp luật thay đổi đòi hỏi cập nhật quy trình."
        ]
    else:
        # An update not done and not yet due is neither on time nor late: not counted yet.
        judged = [u for u in facts.procedure_updates if u.done_on or u.due < facts.cutoff]
        on_time = sum(u.on_time for u in judged)
        lines = [
            f"- Cập nhật đúng hạn (trong 3 tháng): {on_time}/{len(judged)} văn bản thay đổi."
            if judged
            else "- Chưa có văn bản thay đổi nào đến hạn cập nhật."
        ]
        for u in facts.procedure_updates:
            if u.done_on and not u.days_late:
                state = f"cập nhật ngày {vn_date(u.done_on)}, đúng hạn"
            elif u.done_on:
                state = f"cập nhật ngày {vn_date(u.done_on)}, chậm {u.days_late} ngày"
            elif u.days_late:
                state = f"chưa cập nhật, quá hạn {u.days_late} ngày"
            else:
                state = f"chưa cập nhật, hạn {vn_date(u.due)}"
            effect = f" (hiệu lực {vn_date(u.effective_on)})" if u.effective_on else ""
            lines.append(f"- Văn bản {u.event}{effect}: {state}.")
        out["updates"] = lines
    if facts.reviews:
        out["review"] = [
            f"- Ngày {vn_date(r.held_on)}: họp xem xét của lãnh đạo ({r.minutes_ref})"
            + (f"; kết luận: {r.decisions}" if r.decisions else "")
            + "."
            for r in facts.reviews
        ]
    else:
        out["review"] = ["- Trong kỳ báo cáo chưa tổ chức họp xem xét của lãnh đạo."]
    counts = facts.procedure_counts
    internal = [
        f"Quyết định {doc_ref(d.number, d.issued_on)} ({d.title})" for d in facts.internal_decisions
    ]
    out["procedures"] = [
        f"- Tổng số {count(counts['internal'])} quy trình nội bộ"
        + (f" được ban hành theo {'; '.join(internal)}" if internal else "")
        + f"; {count(counts['guideline'])} hướng dẫn hệ thống; {count(counts['tthc'])} quy trình "
        "giải quyết TTHC."
    ]
    out["units"] = [
        f"- {u.name}: "
        + (
            f"áp dụng {('TCVN ISO 9001:' + u.edition) if u.edition else 'HTQLCL'}"
            + (f", {_announcement(u.latest_announcement)}" if u.latest_announcement else "")
            if u.applied
            else "chưa xây dựng, áp dụng HTQLCL"
        )
        + "."
        for u in facts.units
    ] or ["- Cơ quan không có đơn vị trực thuộc áp dụng HTQLCL riêng."]
    return out


def _training_lines(facts: rf.AgencyFacts) -> list[str]:
    t = facts.training
    lines = [
        f"- Số cuộc tập huấn, đào tạo cơ quan chủ trì tổ chức: {count(t['held'])} cuộc; được mời "
        f"tham gia: {count(t['attended'])} cuộc; số lượt cán bộ, công chức tham gia: "
        f"{count(t['person_times'])} lượt."
    ]
    lines += [f"- {c.title} (ngày {vn_date(c.issued_on)})." for c in t["courses"]]
    i = facts.inspections
    lines.append(
        f"- Kiểm tra việc áp dụng HTQLCL do cơ quan chủ trì: {count(i['count'])} cuộc tại "
        f"{count(i['units'])} đơn vị."
    )
    return lines


def _budget_lines(facts: rf.AgencyFacts) -> list[str]:
    b = facts.budget
    if not b["recorded"]:
        return [f"- Chưa ghi nhận kinh phí cho HTQLCL {_period_words(facts)}."]
    spent = f"; đã sử dụng {vn_number(b['spent'])} đồng" if b["spent"] is not None else ""
    return [f"- Kinh phí được cấp: {vn_number(b['allocated'])} đồng{spent}."] + [
        f"- {n}" for n in b["notes"]
    ]


def objectives_summary(facts: rf.AgencyFacts) -> str:
    """ "x/y mục tiêu đạt" over the objectives that have a result for the period; the others are
    said apart, because an objective not yet measured (mid-year, or before the year's review) is
    not one that was missed."""
    measured = sum(o.achieved is not None for o in facts.objectives)
    waiting = len(facts.objectives) - measured
    if not measured:
        return "chưa có số liệu kết quả mục tiêu nào"
    text = f"{facts.objectives_achieved}/{measured} mục tiêu đạt"
    return f"{text}; {count(waiting)} mục tiêu chưa có kết quả" if waiting else text


def _score_lines(cards: Sequence[ScoreCardLike], facts: rf.AgencyFacts) -> list[str]:
    own = next((c for c in cards if c.agency_name == facts.name), None)
    if own is None or own.total is None:
        return [f"- {NOT_SCORED}."]
    return [
        f"- Tự chấm điểm tiêu chí 7.2 (lĩnh vực áp dụng hệ thống quản lý chất lượng ISO 9001): "
        f"tổng số điểm {points(own.total)}/{points(own.max_total)} (chi tiết tại Phụ lục IA)."
    ]


def _shortcoming_lines(facts: rf.AgencyFacts) -> list[str]:
    if not facts.shortcomings:
        return ["- Số liệu ghi nhận không cho thấy việc nào chậm hạn hay mục tiêu nào không đạt."]
    return [f"- {s}" for s in facts.shortcomings]


def _second_half_lines(facts: rf.AgencyFacts) -> list[str]:
    return [f"- {s.title}: hạn {vn_date(s.due)}." for s in facts.second_half]


def _prose(draft: ReportDraft | None) -> dict[str, list[str]]:
    """Each prose field's paragraphs as typed; [] leaves the template's marked placeholder."""
    return {p.name: paragraphs(getattr(draft, p.name) if draft else None) for p in PROSE}


# --- the appendices -----------------------------------------------------------------------------


def annex_ia(cards: Sequence[ScoreCardLike]) -> tuple[list[str], list[list[str]]]:
    """Phụ lục IA: the criteria's headers (with maxima) and one row per scored unit."""
    if not cards:
        head = [f"Tiêu chí {c}" for c in IA_CODES]
        return head, [["1", NOT_SCORED, *([""] * len(IA_CODES)), "", ""]]
    first = cards[0].criteria
    head = [f"Tiêu chí {c.code} ({points(c.max_points)} điểm)" for c in first]
    rows = []
    for i, card in enumerate(cards, start=1):
        by_code = {c.code: c for c in card.criteria}
        cells = [points(by_code[c.code].points) if c.code in by_code else "" for c in first]
        notes = "; ".join(c.note for c in card.criteria if c.note)
        rows.append([str(i), card.agency_name, *cells, points(card.total), notes])
    return head, rows


def annex_iia_tasks(facts: rf.AgencyFacts) -> list[list[str]]:
    """Phụ lục IIA part 1: the tasks carried out, as seed 001's form lists them."""
    t, i = facts.training, facts.inspections
    return [
        ["1", "Ban hành văn bản chỉ đạo", "Văn bản", count(len(facts.directing_documents))],
        ["2", "Công tác tập huấn/đào tạo:", "", ""],
        ["-", "Số cuộc tập huấn/đào tạo được cơ quan chủ trì tổ chức:", "cuộc", count(t["held"])],
        ["-", "Số cuộc tập huấn/đào tạo được mời tham gia:", "cuộc", count(t["attended"])],
        [
            "-",
            "Số lượt cán bộ, công chức được tham gia tập huấn/đào tạo:",
            "người",
            f"{count(t['person_times'])} lượt",
        ],
        ["3", "Công tác kiểm tra:", "", ""],
        ["-", "Số cuộc kiểm tra do cơ quan chủ trì thực hiện:", "cuộc", count(i["count"])],
        ["-", "Số cơ quan/đơn vị được kiểm tra:", "cơ quan/đơn vị", count(i["units"])],
    ]


def annex_iia_conversion(facts: rf.AgencyFacts) -> list[list[str]]:
    """Phụ lục IIA part 2: the 2008 → 2015 conversion, the agency and its units."""
    rows = []
    for n, u in enumerate(facts.conversion_rows, start=1):
        applied = u.first_applied_year or u.converted_year or u.edition
        rows.append(
            [
                str(n),
                u.name,
                str(u.first_applied_year or ""),
                str(u.converted_year or ""),
                "" if applied else "x",
            ]
        )
    return rows


def annex_1(facts: rf.AgencyFacts) -> list[list[str]]:
    """Phụ lục 1 (seed 003's form): one row per unit that maintains and improves its QMS."""
    rows = []
    for n, u in enumerate(facts.conversion_rows, start=1):
        system = ""
        if u.system_ref:
            system = u.system_ref + (
                f" ngày {vn_date(u.system_issued_on)}"
                if u.system_issued_on
                else (f" năm {u.system_year}" if u.system_year else "")
            )
        audits = "; ".join(audit_when(s, e) for s, e in u.audits)
        announced = []
        if u.first_announcement:
            a = u.first_announcement
            announced.append(f"{a.ref} ngày {vn_date(a.decided_on)}")
        if u.latest_announcement and u.latest_announcement != u.first_announcement:
            a = u.latest_announcement
            announced.append(f"Công bố lại: {a.ref} ngày {vn_date(a.decided_on)}")
        rows.append(
            [
                str(n),
                u.name,
                system,
                audits,
                "; ".join(announced),
                count(u.counts["guideline"]) or "0",
                count(u.counts["internal"]) or "0",
                count(u.counts["tthc"]) or "0",
                "" if u.applied else "Chưa áp dụng",
            ]
        )
    return rows


IA_TITLE = "Kết quả chấm điểm tiêu chí 7.2 tại"
IIA_TITLE = "Kết quả chuyển đổi, xây dựng và áp dụng HTQLCL theo TCVN ISO 9001:2015"
IIA_TASKS_TITLE = "1. Kết quả triển khai nhiệm vụ"
IIA_CONVERSION_TITLE = "2. Kết quả chuyển đổi, xây dựng mới hệ thống quản lý chất lượng"
ANNEX_1_TITLE = "Kết quả xây dựng, áp dụng, duy trì, cải tiến hệ thống tại"
IA_HEADER_LEAD = ["TT", "Tên đơn vị"]
IA_HEADER_TAIL = ["Tổng điểm tiêu chí 7.2", "Ghi chú"]
IIA_TASK_HEADER = ["TT", "Nhiệm vụ/Nội dung", "Đơn vị tính", "Số lượng"]
IIA_CONVERSION_HEADER = [
    "TT",
    "Tên cơ quan/đơn vị",
    "Năm áp dụng ISO 9001:2008",
    "Năm chuyển đổi/xây dựng mới theo ISO 9001:2015",
    "Chưa áp dụng",
]
ANNEX_1_HEADER = [
    "TT",
    "Tên đơn vị",
    "Quyết định ban hành hệ thống",
    "Ngày đánh giá nội bộ",
    "Quyết định công bố hệ thống (gần nhất)",
    "Hướng dẫn HT",
    "Quy trình nội bộ",
    "Quy trình TTHC",
    "Ghi chú",
]


# --- putting it together ------------------------------------------------------------------------


def _score_cards(
    session: Session,
    agency_code: str,
    year: int,
    today: date,
    scoring_dir: Path | None = None,
) -> list[ScoreCardLike]:
    """The recorded 7.2 score cards of the agency and its units (Phụ lục IA), for CLI and web.

    A unit that has not scored itself is left out rather than printed with suggested points: the
    annex is what the agency declares. Before the first scheme's year there is nothing to score.
    """
    try:
        scheme = scheme_for_year(year, scoring_dir) if scoring_dir else scheme_for_year(year)
        cards = annex_ia_rows(
            session=session, agency_code=agency_code, year=year, today=today, scheme=scheme
        )
    except IsoError:  # no scheme for the year, or an unknown agency that the report refuses
        return []
    return [card for card in cards if card.recorded]


def report_period(year: int, variant: str, rule: PeriodRule | None = None) -> Period:
    """The period of the annual or 6-month report of a year (NĐ 09/2019 cut-off by default)."""
    rule = rule or PeriodRule()
    if variant == rf.ANNUAL:
        return annual(year, rule)
    if variant == rf.SIX_MONTH:
        return six_month(year, rule)
    raise DocumentError(f"Kỳ báo cáo «{variant}» không có; chọn «annual» (năm) hoặc «6-month».")


def context(
    *,
    session: Session,
    facts: rf.AgencyFacts,
    draft: ReportDraft | None,
    score_cards: Sequence[ScoreCardLike],
    place: str,
) -> dict[str, Any]:
    """Everything the template and the .xlsx show, as text (Vietnamese numbers and dates)."""
    agency = get_agency(session, facts.code)
    number = (draft.number if draft and draft.number else None) or facts.sent_number
    issued = (draft.report_date if draft and draft.report_date else None) or facts.sent_date
    head = letterhead(
        session,
        agency,
        doc_kind="BC",
        number=number,
        issued_on=issued,
        province=place,
        year=facts.year,
    )
    typed = recipient_lines(draft.recipients if draft else None)
    # A typed "Lưu: VT, VPTTr" line is the archive line (the văn thư's and the drafting unit's).
    kept = [r for r in typed if r.casefold().startswith("lưu")]
    recipients = [r for r in typed if r not in kept] or [
        facts.request.unit_name if facts.request else DEFAULT_RECIPIENT
    ]
    archive = kept[-1].split(":", 1)[-1].strip() if kept else "VT"
    signature = signature_context(
        sign_for=(draft.sign_for or "") if draft else "",
        sign_title=(draft.sign_title or "") if draft else "",
        signer=(draft.signer or "") if draft else "",
        recipients=recipients,
        archive=archive,
    )
    head_ctx = letterhead_context(head)
    number_text = head_ctx["number_line"].removeprefix("Số:").strip()
    attached = f"Báo cáo số {number_text} ngày {vn_date(issued) or '…'} của {facts.name}"
    ia_head, ia_rows = annex_ia(score_cards)
    results = _result_lines(facts)
    return {
        **head_ctx,
        **signature,
        **_prose(draft),
        "title": "BÁO CÁO",
        "subtitle": (
            "Kết quả xây dựng, áp dụng, duy trì và cải tiến hệ thống quản lý chất lượng theo "
            f"{facts.standard} {_period_words(facts)}"
        ),
        "agency_name": facts.name,
        "period_words": _period_words(facts),
        "period_label": facts.period.label,
        "six_month": facts.variant == rf.SIX_MONTH,
        "building": facts.building,
        "mode_label": facts.mode_label,
        "bases": _bases(facts),
        "tthc_lines": _tthc_lines(facts),
        "announcement_lines": _announcement_lines(facts),
        "document_lines": _document_lines(facts),
        "committee_lines": results["committee"],
        "objective_lines": results["objectives"],
        "objective_rows": _objective_rows(facts),
        "objectives_summary": objectives_summary(facts),
        "audit_lines": results["audit"],
        "action_lines": results["actions"],
        "update_lines": results["updates"],
        "review_lines": results["review"],
        "procedure_lines": results["procedures"],
        "unit_lines": results["units"],
        "plan_line": (
            "- Kế hoạch xây dựng, áp dụng HTQLCL: "
            f"{doc_ref(facts.plan.number, facts.plan.issued_on)}."
            if facts.plan
            else "- Chưa ghi nhận kế hoạch xây dựng, áp dụng HTQLCL."
        ),
        "training_lines": _training_lines(facts),
        "budget_lines": _budget_lines(facts),
        "score_lines": _score_lines(score_cards, facts),
        "shortcoming_lines": _shortcoming_lines(facts),
        "second_half_lines": _second_half_lines(facts),
        "closing": (
            f"Trên đây là báo cáo kết quả xây dựng, áp dụng, duy trì và cải tiến HTQLCL theo "
            f"{facts.standard} {_period_words(facts)} của {facts.name}./."
        ),
        "attached_to": attached,
        "ia_head": ia_head,
        "ia_rows": ia_rows,
        "iia_tasks": annex_iia_tasks(facts),
        "iia_conversion": annex_iia_conversion(facts),
        "annex_1": annex_1(facts),
    }


def build_context(
    *,
    session: Session,
    agency_code: str,
    year: int,
    variant: str,
    today: date,
    score_cards: Sequence[ScoreCardLike],
    place: str = "Hà Tĩnh",
    rule: PeriodRule | None = None,
) -> tuple[rf.AgencyFacts, dict[str, Any]]:
    """The facts and the template context of an agency's report for a year and period."""
    period = report_period(year, variant, rule)
    try:
        facts = rf.agency_facts(
            session=session, agency_code=agency_code, period=period, today=today, variant=variant
        )
    except ValueError as exc:  # IsoError: unknown agency
        raise DocumentError(str(exc)) from exc
    draft = get_draft(session=session, agency_code=facts.code, year=year, variant=variant)
    return facts, context(
        session=session, facts=facts, draft=draft, score_cards=score_cards, place=place
    )


def file_name(facts: rf.AgencyFacts, suffix: str, what: str = "Bao-cao") -> str:
    """A download name that says what and whose: "Bao-cao-ISO-SNGV-2021.docx"."""
    kind = "6-thang-" if facts.variant == rf.SIX_MONTH else ""
    return f"{what}-ISO-{kind}{facts.code}-{facts.year}{suffix}"


def agency_report(
    *,
    session: Session,
    agency_code: str,
    year: int,
    variant: str,
    today: date,
    score_cards: Sequence[ScoreCardLike],
    template_dir: Path | None = None,
    place: str = "Hà Tĩnh",
    rule: PeriodRule | None = None,
) -> AgencyReport:
    """The agency's report with its three appendices, as .docx bytes."""
    facts, ctx = build_context(
        session=session,
        agency_code=agency_code,
        year=year,
        variant=variant,
        today=today,
        score_cards=score_cards,
        place=place,
        rule=rule,
    )
    data = render_docx(TEMPLATE, ctx, template_dir=template_dir)
    return AgencyReport(data, file_name(facts, ".docx"))


def appendix_xlsx(
    *,
    session: Session,
    agency_code: str,
    year: int,
    variant: str,
    today: date,
    score_cards: Sequence[ScoreCardLike],
    rule: PeriodRule | None = None,
) -> AgencyReport:
    """Phụ lục IA, IIA and 1 as one .xlsx, a sheet each (numbers kept as numbers)."""
    facts, ctx = build_context(
        session=session,
        agency_code=agency_code,
        year=year,
        variant=variant,
        today=today,
        score_cards=score_cards,
        rule=rule,
    )
    heading = f"(Kèm theo {ctx['attached_to']})"
    ia_rows = [_numbers(r) for r in ctx["ia_rows"]]
    sheets = [
        Sheet(
            title="Phụ lục IA",
            heading=[f"Phụ lục IA. {IA_TITLE} {facts.name}", heading],
            header=[*IA_HEADER_LEAD, *ctx["ia_head"], *IA_HEADER_TAIL],
            rows=ia_rows,
        ),
        Sheet(
            title="Phụ lục IIA",
            heading=[f"Phụ lục IIA. {IIA_TITLE}", heading, IIA_TASKS_TITLE],
            header=IIA_TASK_HEADER,
            rows=[_numbers(r) for r in ctx["iia_tasks"]],
        ),
        Sheet(
            title="Phụ lục IIA (chuyển đổi)",
            heading=[f"Phụ lục IIA. {IIA_TITLE}", heading, IIA_CONVERSION_TITLE],
            header=IIA_CONVERSION_HEADER,
            rows=[_numbers(r) for r in ctx["iia_conversion"]],
        ),
        Sheet(
            title="Phụ lục 1",
            heading=[f"Phụ lục 1. {ANNEX_1_TITLE} {facts.name}", heading],
            header=ANNEX_1_HEADER,
            rows=[_numbers(r) for r in ctx["annex_1"]],
        ),
    ]
    return AgencyReport(xlsx_bytes(sheets), file_name(facts, ".xlsx", "Phu-luc"))


def _numbers(row: list[str]) -> list[Any]:
    """Cells that are whole counts or points become numbers again (Excel sums them)."""
    out: list[Any] = []
    for cell in row:
        text = cell.strip()
        if text.isdigit() and text != "":
            out.append(int(text))
        elif text.replace(",", "", 1).isdigit() and text.count(",") == 1:
            out.append(float(text.replace(",", ".")))
        else:
            out.append(cell)
    return out
