"""The provincial summary counted from the rows of models/iso/province_facts.py: x/y per kind of
agency for each item, findings, reports on time and the late list, inspections against TT 26's
third on site, and the shortcomings ("những tồn tại") written from the laggards.

Pure: no queries here, so a summary of 5,000 rows costs only the loops over them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from models.agencies import KIND_LABELS
from models.iso.base import SEVERITIES, SEVERITY_LABELS
from models.iso.inspections import ONSITE_SHARE, percent
from models.iso.province_facts import (
    DONE,
    DONE_LATE,
    ITEMS,
    OVERDUE,
    PENDING,
    WAIVED,
    AgencyRow,
    StepFact,
)

# The items' names in the summary's tables, and the words of the shortcomings about them:
# (not done past the deadline, done after the deadline).
ITEM_LABELS = {
    "plan": "Ban hành kế hoạch duy trì, cải tiến HTQLCL",
    "objectives": "Ban hành mục tiêu chất lượng",
    "audit": "Tổ chức đánh giá nội bộ",
    "review": "Tổ chức xem xét của lãnh đạo",
    "actions": "Thực hiện hành động khắc phục",
    "report": "Gửi báo cáo đúng hạn",
}
ITEM_LAGGARDS = {
    "plan": ("chưa ban hành kế hoạch duy trì, cải tiến HTQLCL", "ban hành kế hoạch muộn"),
    "objectives": ("chưa ban hành mục tiêu chất lượng", "ban hành mục tiêu chất lượng muộn"),
    "audit": ("chưa tổ chức đánh giá nội bộ", "tổ chức đánh giá nội bộ muộn"),
    "review": ("chưa tổ chức xem xét của lãnh đạo", "tổ chức xem xét của lãnh đạo muộn"),
    "actions": ("chưa hoàn thành hành động khắc phục", "hoàn thành hành động khắc phục muộn"),
    "report": ("chưa gửi báo cáo (quá hạn)", "gửi báo cáo muộn"),
}
_STATUSES = (DONE, DONE_LATE, OVERDUE, PENDING)
# How many agencies a shortcoming names before "và N cơ quan khác".
NAMES_SHOWN = 10


def two(n: int) -> str:
    """A count as reports write it: 3 → "03", 12 → "12"."""
    return f"{n:02d}"


@dataclass(frozen=True)
class Ratio:
    """x/y: `done` of `total` (waived steps left out), and how many of them on time."""

    done: int = 0
    total: int = 0
    on_time: int = 0

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.done + other.done, self.total + other.total, self.on_time + other.on_time)

    @property
    def text(self) -> str:
        return f"{self.done}/{self.total}"

    @property
    def on_time_text(self) -> str:
        return f"{self.on_time}/{self.total}"


@dataclass(frozen=True)
class ItemLine:
    """One item of the summary's table: x/y per kind of agency and in all."""

    key: str
    label: str
    by_kind: dict[str, Ratio]
    total: Ratio


@dataclass(frozen=True)
class LateReport:
    """An agency whose report was late or is missing: its deadline, receipt and days late."""

    code: str
    name: str
    due: date
    received_on: date | None
    days_late: int


@dataclass
class InspectionCounts:
    """The year's inspections: planned and held, by form, against the third on site, and the
    report-backs due two months after each biên bản."""

    agencies: int = 0
    planned: int = 0
    planned_onsite: int = 0
    held: int = 0
    held_onsite: int = 0
    followup: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STATUSES, 0))

    @property
    def planned_dossier(self) -> int:
        return self.planned - self.planned_onsite

    @property
    def held_dossier(self) -> int:
        return self.held - self.held_onsite

    @property
    def onsite_share(self) -> Fraction:
        return Fraction(self.planned_onsite, self.agencies) if self.agencies else Fraction(0)

    @property
    def onsite_ok(self) -> bool:
        """TT 26/2014 Art. 33: at least a third of the agencies inspected on site."""
        return self.agencies == 0 or self.onsite_share >= ONSITE_SHARE

    @property
    def onsite_needed(self) -> int:
        return -(-self.agencies // 3)

    @property
    def onsite_percent(self) -> str:
        return percent(self.onsite_share)


@dataclass
class ProvinceSummary:
    """Everything the provincial summary report states, counted from the agency rows."""

    agencies: int
    kinds: list[str]
    agencies_by_kind: dict[str, int]
    items: list[ItemLine]
    announced: ItemLine
    reannounced: ItemLine
    updates: ItemLine
    update_counts: dict[str, int]
    findings: dict[str, int]
    audited: int
    reports: Ratio
    late_reports: list[LateReport]
    tthc_total: int
    tthc_agencies: int
    tthc_procedures: int
    internal_procedures: int
    budget_allocated: int
    budget_spent: int
    budget_agencies: int
    training_courses: int
    training_person_times: int
    inspections: InspectionCounts
    shortcomings: list[str]

    @property
    def kind_labels(self) -> list[str]:
        return [KIND_LABELS.get(k, k) for k in self.kinds]


def _ratio(facts: Sequence[StepFact | None], *, due_only: bool = False) -> Ratio:
    """x/y of the facts, waived ones left out; with `due_only` also those neither done nor yet
    due (an update due next January is not late yet, so not missed)."""
    skip = (WAIVED, PENDING) if due_only else (WAIVED,)
    live = [f for f in facts if f is not None and f.status not in skip]
    return Ratio(
        done=sum(f.done for f in live), total=len(live), on_time=sum(f.on_time for f in live)
    )


def _line(
    key: str,
    label: str,
    rows: Sequence[AgencyRow],
    kinds: list[str],
    ratio: Callable[[list[AgencyRow]], Ratio],
) -> ItemLine:
    by_kind = {k: ratio([r for r in rows if r.kind == k]) for k in kinds}
    return ItemLine(key, label, by_kind, ratio(list(rows)))


def _item_ratio(key: str) -> Callable[[list[AgencyRow]], Ratio]:
    return lambda rs: _ratio([r.items.get(key) for r in rs])


def _names(rows: Sequence[AgencyRow]) -> str:
    shown = ", ".join(r.name for r in rows[:NAMES_SHOWN])
    if len(rows) > NAMES_SHOWN:
        shown += f" và {len(rows) - NAMES_SHOWN} cơ quan khác"
    return shown


def _sentence(rows: Sequence[AgencyRow], words: str) -> list[str]:
    return [f"{two(len(rows))} cơ quan {words}: {_names(rows)}."] if rows else []


def province_summary(rows: Sequence[AgencyRow]) -> ProvinceSummary:
    """Count the summary's figures and write its shortcomings from the rows (one per agency)."""
    order = list(KIND_LABELS)
    kinds = sorted({r.kind for r in rows}, key=lambda k: (order.index(k) if k in order else 99, k))
    items = [_line(key, ITEM_LABELS[key], rows, kinds, _item_ratio(key)) for key in ITEMS]
    report_line = _line(
        "report", ITEM_LABELS["report"], rows, kinds,
        lambda rs: _ratio([r.report for r in rs]),
    )  # fmt: skip
    items.append(report_line)
    announced = _line(
        "announced", "Đã công bố HTQLCL (tính đến cuối năm)", rows, kinds,
        lambda rs: Ratio(sum(r.first_announced_on is not None for r in rs), len(rs)),
    )  # fmt: skip
    reannounced = _line(
        "reannounced", "Công bố lại HTQLCL trong năm", rows, kinds,
        lambda rs: Ratio(sum(r.reannounced_in_year for r in rs), len(rs)),
    )  # fmt: skip
    updates = _line(
        "updates", "Cập nhật quy trình theo văn bản mới đúng hạn (lượt)", rows, kinds,
        lambda rs: _ratio([u for r in rs for u in r.updates], due_only=True),
    )  # fmt: skip
    update_counts = {s: sum(r.count(s) for r in rows) for s in _STATUSES}
    findings = {sev: sum(r.findings[sev] for r in rows) for sev in SEVERITIES}
    late_reports = [
        LateReport(r.code, r.name, r.report.due, r.report.done_on, r.report.days_late)
        for r in rows
        if r.report is not None and r.report.status in (DONE_LATE, OVERDUE)
    ]
    spent = [r.budget_spent for r in rows if r.budget_spent is not None]
    inspections = InspectionCounts(agencies=len(rows))
    for r in rows:
        if r.inspection_form is None:
            continue
        inspections.planned += 1
        inspections.planned_onsite += r.inspection_form == "onsite"
        if r.inspection_held_on is not None:
            inspections.held += 1
            inspections.held_onsite += r.inspection_form == "onsite"
        if r.followup is not None and r.followup.status in inspections.followup:
            inspections.followup[r.followup.status] += 1
    return ProvinceSummary(
        agencies=len(rows),
        kinds=kinds,
        agencies_by_kind={k: sum(r.kind == k for r in rows) for k in kinds},
        items=items,
        announced=announced,
        reannounced=reannounced,
        updates=updates,
        update_counts=update_counts,
        findings=findings,
        audited=sum(1 for r in rows if (f := r.items.get("audit")) is not None and f.done),
        reports=report_line.total,
        late_reports=late_reports,
        tthc_total=sum(r.tthc_total or 0 for r in rows),
        tthc_agencies=sum(r.tthc_total is not None for r in rows),
        tthc_procedures=sum(r.tthc_procedures for r in rows),
        internal_procedures=sum(r.internal_procedures for r in rows),
        budget_allocated=sum(r.budget_allocated for r in rows),
        budget_spent=sum(spent),
        budget_agencies=sum(1 for r in rows if r.budget_allocated or r.budget_spent),
        training_courses=sum(r.training_courses for r in rows),
        training_person_times=sum(r.training_person_times for r in rows),
        inspections=inspections,
        shortcomings=shortcomings(rows, inspections),
    )


def shortcomings(rows: Sequence[AgencyRow], inspections: InspectionCounts) -> list[str]:
    """The "những tồn tại" sentences: for each item the agencies past its deadline without it,
    then those that did it late; procedure updates, inspections and their follow-up; the third
    on site. Counts are written with two digits, as reports write them."""
    out: list[str] = []
    for key in (*ITEMS, "report"):
        facts = [(r, r.report if key == "report" else r.items.get(key)) for r in rows]
        missing, late = ITEM_LAGGARDS[key]
        out += _sentence([r for r, f in facts if f is not None and f.status == OVERDUE], missing)
        out += _sentence([r for r, f in facts if f is not None and f.status == DONE_LATE], late)
    out += _sentence(
        [r for r in rows if r.count(OVERDUE)],
        "chưa cập nhật quy trình theo văn bản pháp luật mới quá thời hạn 3 tháng",
    )
    out += _sentence(
        [r for r in rows if r.count(DONE_LATE)], "cập nhật quy trình quá thời hạn 3 tháng"
    )
    out += _sentence(
        [r for r in rows if r.findings["major"]],
        f"có điểm {SEVERITY_LABELS['major']} khi đánh giá nội bộ",
    )
    out += _sentence(
        [r for r in rows if r.followup is not None and r.followup.status == OVERDUE],
        "chưa báo cáo kết quả khắc phục sau kiểm tra quá thời hạn 2 tháng",
    )
    if not inspections.onsite_ok:
        out.append(
            f"Kế hoạch kiểm tra mới có {two(inspections.planned_onsite)}/"
            f"{two(inspections.agencies)} cơ quan được kiểm tra trực tiếp tại trụ sở "
            f"({inspections.onsite_percent}), chưa đạt tối thiểu 1/3 (cần ít nhất "
            f"{two(inspections.onsite_needed)} cơ quan) theo Điều 33 Thông tư 26/2014/TT-BKHCN."
        )
    return out
