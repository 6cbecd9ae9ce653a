"""Reporting periods (kỳ báo cáo): a start and an end date, named the way report letters name them.

Figures that a report states (TTHC counts, dossiers, training, budget...) are stored with the
period they cover, so a report for a period finds exactly the figures entered for it. The annual
and six-month bounds follow a cut-off day that a province sets (config/iso_rules.toml): Nghị định
09/2019/NĐ-CP Art. 12 puts it at 15/12 (annual 15/12 → 14/12, six-month 15/12 → 14/6); a province
that reports by calendar year sets 1/1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR, MAX_YEAR = 1900, 2100


class PeriodError(ValueError):
    """A period that cannot be read or cannot exist, said in Vietnamese."""


def _vn(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


@dataclass(frozen=True)
class PeriodRule:
    """The cut-off day that starts each annual period (month, day), the year before it is named."""

    cutoff_month: int = 12
    cutoff_day: int = 15

    def annual_start(self, year: int) -> date:
        if (self.cutoff_month, self.cutoff_day) == (1, 1):
            return date(year, 1, 1)
        return date(year - 1, self.cutoff_month, self.cutoff_day)


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                f"Kỳ báo cáo không hợp lệ: ngày kết thúc {_vn(self.end)} "
                f"trước ngày bắt đầu {_vn(self.start)}."
            )

    @property
    def label(self) -> str:
        """The period as a letter writes it: "từ 15/12/2020 đến 14/12/2021"."""
        return f"từ {_vn(self.start)} đến {_vn(self.end)}"

    @property
    def key(self) -> str:
        """A stable text form, also accepted by `parse_period`: 2020-12-15..2021-12-14."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def annual(year: int, rule: PeriodRule = PeriodRule()) -> Period:
    """The annual period named after `year` (with the 15/12 cut-off: 15/12/year-1 → 14/12/year)."""
    start = rule.annual_start(year)
    return Period(start, _add_months(start, 12) - timedelta(days=1))


def six_month(year: int, rule: PeriodRule = PeriodRule()) -> Period:
    """The first six months of that annual period (15/12/year-1 → 14/6/year; calendar: to 30/6)."""
    start = rule.annual_start(year)
    return Period(start, _add_months(start, 6) - timedelta(days=1))


_YEAR = re.compile(r"^(\d{4})$")
_SIX = re.compile(r"^(?:6t|6 tháng|6thang)[\s/-]*(\d{4})$|^(\d{4})[\s/-]*(?:6t|6 tháng|6thang)$")
_DAY = r"(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})"
_RANGE = re.compile(rf"^{_DAY}\s*(?:\.\.|–|—|-|đến)\s*{_DAY}$")


def _day(text: str) -> date:
    try:
        if "/" in text:
            d, m, y = (int(p) for p in text.split("/"))
            day = date(y, m, d)
        else:
            day = date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"Ngày «{text}» không có thật.") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PeriodError(f"Ngày «{text}» phải trong các năm {MIN_YEAR}–{MAX_YEAR}.")
    return day


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR < year <= MAX_YEAR:
        raise PeriodError(f"Năm {year} phải trong các năm {MIN_YEAR + 1}–{MAX_YEAR}.")
    return year


def parse_period(text: str, rule: PeriodRule = PeriodRule()) -> Period:
    """Read "2021" (annual), "6t/2021" (six-month) or "15/12/2020-14/12/2021" (any two days)."""
    value = " ".join((text or "").split()).lower()
    if not value:
        raise PeriodError("Chưa nhập kỳ báo cáo.")
    if m := _YEAR.match(value):
        return annual(_year(m.group(1)), rule)
    if m := _SIX.match(value):
        return six_month(_year(m.group(1) or m.group(2)), rule)
    if m := _RANGE.match(value):
        return Period(_day(m.group(1)), _day(m.group(2)))
    raise PeriodError(
        f"Không đọc được kỳ báo cáo «{text}». Ghi năm (2021), sáu tháng (6t/2021) "
        "hoặc hai ngày (15/12/2020-14/12/2021)."
    )


def parse_cutoff(text: str) -> PeriodRule:
    """Read the cut-off day "15/12" (or "1/1" for calendar years) of a rules file."""
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})\s*", text or "")
    if not m:
        raise PeriodError(f"Ngày chốt số liệu «{text}» phải viết dạng ngày/tháng, ví dụ 15/12.")
    day, month = int(m.group(1)), int(m.group(2))
    try:
        date(2001, month, day)  # not a leap year: 29/2 cannot start every period
    except ValueError as exc:
        raise PeriodError(f"Ngày chốt số liệu «{text}» không có thật trong mọi năm.") from exc
    return PeriodRule(cutoff_month=month, cutoff_day=day)
