"""The evidence rules that suggest a criterion's points from what isocycle holds, each saying in
Vietnamese what it looked at (computed on every read, never stored).

A scheme names a rule per criterion (config/scoring/*.toml, `rule` and `params`):
- steps_on_time: the year's steps of the listed types (the plan and the reports for 7.2.1) done
  on time; a report counts as sent on the date it bears (or was sent) even before its receipt.
- internal_procedures: internal procedures (QTNB) in force at the year's end ≥ `minimum`.
- internal_audit: an internal audit held, no major nonconformity, no corrective action late.
- tthc_procedures: no dossier handled late, and procedures updated on time after legal changes.
- online_results: the share of dossiers with their result attached on the public-service portal.
- records_kept: no nonconformity on documented information (clause 7.5) found in the year.
With no evidence a rule says so and suggests the points the data supports (usually 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select as orm_select

from models.iso.actions import CorrectiveAction
from models.iso.audits import Finding, InternalAudit, severity_counts
from models.iso.dossiers import get_dossier_stats
from models.iso.procedures import procedure_counts
from models.iso.reporting import Report
from models.iso.scheme import STEP, Criterion
from models.periods import PeriodRule, annual
from models.tables import STEP_DONE, STEP_OPEN, Agency, Step
from models.vn_format import vn_date, vn_number

# A report's sending day when it bears no date: its upload instant, in the province's zone.
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LISTED = 5  # late items named in one evidence sentence; the rest are counted


@dataclass(frozen=True)
class Context:
    """What every rule reads: the agency, the year, the day it is judged on, the periods."""

    session: Session
    agency: Agency
    year: int
    today: date
    periods: PeriodRule

    @property
    def year_end(self) -> date:
        """The day a year's standing is read on: its last day, or today while it runs."""
        return min(self.today, date(self.year, 12, 31))


@dataclass(frozen=True)
class Suggestion:
    """Suggested points and the Vietnamese sentence saying what evidence gave them."""

    points: Decimal
    evidence: str


def share(points: Decimal, part: Decimal) -> Decimal:
    """A part of the points, rounded down to a multiple of 0,25 (half of 1,5 is 0,75)."""
    return ((points * part) / STEP).to_integral_value(rounding=ROUND_FLOOR) / 4


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f"; và {more} việc khác" if more > 0 else "")


def _two(n: int) -> str:
    """A count as the reports write it: 02, 14."""
    return f"{n:02d}"


# --- 7.2.1: direction and reports on time -------------------------------------------------------


def _sent_on(report: Report) -> date:
    if report.report_date is not None:
        return report.report_date
    return report.submitted_at.astimezone(LOCAL_ZONE).date()


def steps_on_time(ctx: Context, c: Criterion) -> Suggestion:
    types = [str(t) for t in c.params.get("step_types", [])]
    query = orm_select(Step).where(Step.agency_id == ctx.agency.id, Step.year == ctx.year)
    if types:
        query = query.where(col(Step.step_type).in_(types))
    steps = ctx.session.exec(query.order_by(col(Step.due))).all()
    if not steps:
        return Suggestion(
            Decimal(0),
            f"Chưa có dữ liệu: đơn vị chưa có bước nào của chu kỳ năm {ctx.year} (chưa mở chu kỳ, "
            "hoặc đơn vị chưa thuộc phạm vi); chưa có căn cứ để chấm.",
        )
    reports = {
        r.step_key: r
        for r in ctx.session.exec(
            orm_select(Report).where(Report.agency_id == ctx.agency.id, Report.year == ctx.year)
        )
    }
    on_time: list[str] = []
    late: list[str] = []
    for step in steps:
        if step.state not in (STEP_DONE, STEP_OPEN):
            continue  # waived: not applicable this year
        report = reports.get(step.key)
        done = step.done_on if step.state == STEP_DONE else None
        if report is not None:
            sent = _sent_on(report)
            done = sent if done is None else min(done, sent)
        if done is not None:
            days = (done - step.due).days
            if days > 0:
                late.append(f"«{step.title}» xong ngày {vn_date(done)}, trễ {days} ngày")
            else:
                on_time.append(f"«{step.title}» ngày {vn_date(done)}")
        elif step.due < ctx.today:
            days = (ctx.today - step.due).days
            late.append(f"«{step.title}» chưa hoàn thành, quá hạn {vn_number(days)} ngày")
    if late:
        return Suggestion(Decimal(0), f"Trễ hạn: {_listed(late)}.")
    if not on_time:
        return Suggestion(
            c.max_points, f"Chưa có việc nào đến hạn trong năm {ctx.year}; chưa có việc trễ hạn."
        )
    return Suggestion(
        c.max_points,
        f"{_two(len(on_time))} việc đến hạn trong năm {ctx.year} đều đúng hạn: {_listed(on_time)}.",
    )


# --- 7.2.2: internal procedures -----------------------------------------------------------------


def internal_procedures(ctx: Context, c: Criterion) -> Suggestion:
    minimum = int(c.params.get("minimum", 5))
    day = ctx.year_end
    count = procedure_counts(session=ctx.session, agency_code=ctx.agency.code, on=day)["internal"]
    if count == 0:
        return Suggestion(
            Decimal(0),
            f"Chưa ghi nhận quy trình nội bộ nào đang hiệu lực ngày {vn_date(day)} (trang Quy "
            f"trình, tài liệu); theo dữ liệu hiện có, số quy trình nội bộ dưới {_two(minimum)} "
            "quy trình.",
        )
    if count < minimum:
        return Suggestion(
            Decimal(0),
            f"Số quy trình nội bộ dưới {_two(minimum)} quy trình (có {_two(count)}, đang hiệu lực "
            f"ngày {vn_date(day)}).",
        )
    return Suggestion(
        c.max_points,
        f"Có {_two(count)} quy trình nội bộ đang hiệu lực ngày {vn_date(day)} (từ {_two(minimum)} "
        "quy trình trở lên).",
    )


# --- 7.2.3: internal procedures applied (the internal audit) ------------------------------------


def _audits(ctx: Context) -> list[InternalAudit]:
    return list(
        ctx.session.exec(
            orm_select(InternalAudit)
            .where(
                InternalAudit.agency_id == ctx.agency.id,
                InternalAudit.year == ctx.year,
                InternalAudit.kind == "internal",
            )
            .order_by(col(InternalAudit.start_on))
        ).all()
    )


def _no_audit(ctx: Context) -> Suggestion:
    return Suggestion(
        Decimal(0),
        f"Chưa có dữ liệu: chưa ghi nhận cuộc đánh giá nội bộ nào năm {ctx.year} (trang Đánh giá "
        "nội bộ); theo dữ liệu hiện có, chưa có căn cứ cho điểm.",
    )


def internal_audit(ctx: Context, c: Criterion) -> Suggestion:
    audits = _audits(ctx)
    if not audits:
        return _no_audit(ctx)
    last = audits[-1]
    counts = severity_counts(session=ctx.session, agency_id=ctx.agency.id, year=ctx.year)
    actions = ctx.session.exec(
        orm_select(CorrectiveAction).where(
            CorrectiveAction.agency_id == ctx.agency.id, CorrectiveAction.year == ctx.year
        )
    ).all()
    late = [
        a.number
        for a in actions
        if (a.done_on is None and a.due < ctx.today)
        or (a.done_on is not None and a.done_on > a.due)
    ]
    held = (
        f"Đánh giá nội bộ «{last.ref}» ngày {vn_date(last.start_on)}"
        + (f"–{vn_date(last.end_on)}" if last.end_on != last.start_on else "")
        + f": {counts['major']} điểm không phù hợp nặng, {counts['minor']} điểm không phù hợp "
        f"nhẹ, {counts['observation']} điểm lưu ý"
    )
    acted = (
        f"hành động khắc phục trễ hạn: {', '.join(f'#{n}' for n in sorted(late))}"
        if late
        else "không có hành động khắc phục trễ hạn"
    )
    problems = (counts["major"] > 0) + bool(late)
    points = c.max_points if problems == 0 else share(c.max_points, Decimal("0.5") * (2 - problems))
    return Suggestion(points, f"{held}; {acted}.")


# --- 7.2.4: TTHC procedures applied (dossiers on time, procedures updated) ----------------------


def _updates(ctx: Context) -> tuple[int, list[str]]:
    steps = ctx.session.exec(
        orm_select(Step).where(
            Step.agency_id == ctx.agency.id,
            Step.year == ctx.year,
            Step.step_type == "procedure_update",
        )
    ).all()
    late = []
    for s in steps:
        if s.state == STEP_DONE and s.done_on is not None and s.done_on > s.due:
            late.append(f"«{s.title}» trễ {(s.done_on - s.due).days} ngày")
        elif s.state == STEP_OPEN and s.due < ctx.today:
            late.append(f"«{s.title}» quá hạn {(ctx.today - s.due).days} ngày")
    return len(steps), late


def _dossiers(ctx: Context) -> dict[str, object] | None:
    period = annual(ctx.year, ctx.periods)
    return get_dossier_stats(session=ctx.session, agency_code=ctx.agency.code, period=period)


def _span(stats: dict[str, object]) -> str:
    return f"{vn_date(stats['period_start'])}–{vn_date(stats['period_end'])}"


def tthc_procedures(ctx: Context, c: Criterion) -> Suggestion:
    stats = _dossiers(ctx)
    count, late_updates = _updates(ctx)
    if stats is None:
        return Suggestion(
            Decimal(0),
            f"Chưa có dữ liệu: chưa nhập số liệu hồ sơ TTHC năm {ctx.year} (trang Quy trình, tài "
            "liệu); theo dữ liệu hiện có, chưa có căn cứ cho điểm.",
        )
    late = int(str(stats["late"]))
    parts = [
        f"Hồ sơ TTHC {_span(stats)}: tiếp nhận {vn_number(stats['received'])}, giải quyết quá "
        f"hạn {vn_number(late)}"
    ]
    if late_updates:
        parts.append(f"cập nhật quy trình sau thay đổi pháp luật trễ hạn: {_listed(late_updates)}")
    elif count:
        parts.append(f"{_two(count)} lần cập nhật quy trình sau thay đổi pháp luật đều đúng hạn")
    else:
        parts.append("không có quy trình nào phải cập nhật sau thay đổi pháp luật trong năm")
    problems = (late > 0) + bool(late_updates)
    points = c.max_points if problems == 0 else share(c.max_points, Decimal("0.5") * (2 - problems))
    return Suggestion(points, "; ".join(parts) + ".")


# --- 7.2.5: results attached online -------------------------------------------------------------


def online_results(ctx: Context, c: Criterion) -> Suggestion:
    stats = _dossiers(ctx)
    if stats is None:
        return Suggestion(
            Decimal(0),
            f"Chưa có dữ liệu: chưa nhập số liệu hồ sơ TTHC năm {ctx.year} (số hồ sơ gắn kèm kết "
            "quả trên phần mềm dịch vụ công); chưa có căn cứ cho điểm.",
        )
    received, attached = int(str(stats["received"])), int(str(stats["with_results"]))
    if received == 0:
        return Suggestion(
            c.max_points,
            f"Không phát sinh hồ sơ TTHC {_span(stats)}; không có hồ sơ thiếu kết quả.",
        )
    percent = Decimal(attached * 100) / Decimal(received)
    full = Decimal(str(c.params.get("full_percent", 100)))
    half = Decimal(str(c.params.get("half_percent", 90)))
    points = (
        c.max_points
        if percent >= full
        else share(c.max_points, Decimal("0.5"))
        if percent >= half
        else Decimal(0)
    )
    # Rounded down: 99,95% must not read "100%" beside half the points.
    shown = percent.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    return Suggestion(
        points,
        f"{vn_number(attached)}/{vn_number(received)} hồ sơ TTHC {_span(stats)} được gắn kèm kết "
        f"quả trên phần mềm dịch vụ công ({vn_number(shown, 1)}%).",
    )


# --- 7.2.6: records kept (documented-information findings) --------------------------------------


def records_kept(ctx: Context, c: Criterion) -> Suggestion:
    if not _audits(ctx):
        return _no_audit(ctx)
    clauses = tuple(str(x) for x in c.params.get("clauses", ["7.5"]))
    found = ctx.session.exec(
        orm_select(Finding)
        .where(
            Finding.agency_id == ctx.agency.id,
            Finding.year == ctx.year,
            col(Finding.severity).in_(["major", "minor"]),
        )
        .order_by(col(Finding.number))
    ).all()
    bad = [f for f in found if f.clause and f.clause.strip().startswith(clauses)]
    where = ", ".join(clauses)
    if bad:
        items = [f"#{f.number} ({f.clause}) tại {f.unit}" for f in bad]
        return Suggestion(
            Decimal(0),
            f"Có {_two(len(bad))} điểm không phù hợp về thông tin dạng văn bản (điều khoản "
            f"{where}) năm {ctx.year}: {_listed(items)}.",
        )
    return Suggestion(
        c.max_points,
        f"Đánh giá nội bộ và kiểm tra năm {ctx.year} không có điểm không phù hợp nào về thông tin "
        f"dạng văn bản (điều khoản {where}).",
    )


RULES: dict[str, Callable[[Context, Criterion], Suggestion]] = {
    "steps_on_time": steps_on_time,
    "internal_procedures": internal_procedures,
    "internal_audit": internal_audit,
    "tthc_procedures": tthc_procedures,
    "online_results": online_results,
    "records_kept": records_kept,
}


def suggest(ctx: Context, c: Criterion) -> Suggestion:
    """The criterion's suggested points and the evidence, by the rule its scheme names."""
    return RULES[c.rule](ctx, c)
