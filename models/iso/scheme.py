"""Scoring schemes (bộ tiêu chí chấm điểm) as versioned data: read from config/scoring/*.toml,
checked, and chosen for a year (the latest year_from not after it).

Points are exact: Decimal, in steps of 0,25 (never floats, so 0,5 + 0,5 + 1 + 1,5 + 1 + 0,5 is 5).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from config.settings import DEFAULT_SCORING_DIR
from models.iso.base import IsoError

STEP = Decimal("0.25")  # the smallest part of a point a criterion may be scored in
MAX_DIGITS = 12  # points of 10^12 or more, or below 10^-12 but not 0, are no score
# The evidence rules a criterion may name (models/iso/score_rules.py implements each).
RULES = (
    "steps_on_time",
    "internal_procedures",
    "internal_audit",
    "tthc_procedures",
    "online_results",
    "records_kept",
)


class SchemeError(IsoError):
    """A scheme file that cannot be used: the message names the file and the field."""


@dataclass(frozen=True)
class Criterion:
    """One criterion of a scheme: its code, wording, maximum, notes and evidence rule."""

    code: str
    text: str
    max_points: Decimal
    rule: str
    rule_text: str
    note_full: str
    note_zero: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheme:
    """A province's decision on how a group of criteria is scored, from year_from on."""

    province: str
    issuer: str
    decision: str
    decided_on: date
    group: str
    title: str
    year_from: int
    criteria: tuple[Criterion, ...]
    source: str = ""

    @property
    def max_total(self) -> Decimal:
        return sum((c.max_points for c in self.criteria), Decimal(0))

    def criterion(self, code: str) -> Criterion:
        """The criterion with this code; IsoError naming the codes there are."""
        code = (code or "").strip()
        for c in self.criteria:
            if c.code == code:
                return c
        codes = ", ".join(c.code for c in self.criteria)
        raise IsoError(
            f"Không có tiêu chí «{code}» trong bộ tiêu chí {self.decision}; chọn {codes}.",
            field="criterion",
        )


def parse_points(value: object, label: str = "Điểm") -> Decimal:
    """Points as typed or stored ("0,5", "0.5", 1, Decimal), exactly; IsoError when not a number.

    A float is read through its shortest text (0.5 → "0.5"), so it never brings binary drift.
    """
    if isinstance(value, bool) or value is None:
        raise IsoError(f"{label}: chưa nhập số điểm.", field="points")
    text = value if isinstance(value, str) else str(value)
    text = text.strip().replace(",", ".")
    refused = IsoError(f"{label}: «{str(value)[:30]}» không phải là số điểm.", field="points")
    try:
        points = Decimal(text)
    except InvalidOperation:
        raise refused from None
    # "1e999999999" is a Decimal too, and writing out its digits (or dividing it) would take
    # a gigabyte and half a minute: no score is that large or that small.
    if not points.is_finite() or (points and not -MAX_DIGITS <= points.adjusted() < MAX_DIGITS):
        raise refused
    return points


def is_step(points: Decimal) -> bool:
    """True for a multiple of 0,25."""
    return (points / STEP) == (points / STEP).to_integral_value()


def _need(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if value is None:
        raise SchemeError(f"{where}: thiếu trường «{key}».", field=key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "một chuỗi chữ", int: "một số nguyên", date: "một ngày (YYYY-MM-DD)"}
        raise SchemeError(
            f"{where}: trường «{key}» phải là {names.get(kind, kind.__name__)}, "
            f"không phải {value!r}.",
            field=key,
        )
    if isinstance(value, str) and not value.strip():
        raise SchemeError(f"{where}: trường «{key}» đang để trống.", field=key)
    return value


def _criterion(raw: Any, where: str) -> Criterion:
    if not isinstance(raw, dict):
        raise SchemeError(f"{where}: mỗi tiêu chí phải là một bảng [[criteria]].", field="criteria")
    code = _need(raw, "code", str, where).strip()
    where = f"{where} (tiêu chí {code})"
    try:
        points = parse_points(raw.get("max_points"), "max_points")
    except IsoError as exc:
        raise SchemeError(f"{where}: trường «max_points»: {exc}", field="max_points") from None
    if points <= 0 or not is_step(points):
        raise SchemeError(
            f"{where}: trường «max_points» = {raw.get('max_points')!r} phải là số dương, bội "
            "của 0,25.",
            field="max_points",
        )
    rule = _need(raw, "rule", str, where)
    if rule not in RULES:
        raise SchemeError(
            f"{where}: trường «rule» = «{rule}» không có; chọn {', '.join(RULES)}.", field="rule"
        )
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise SchemeError(f"{where}: trường «params» phải là một bảng.", field="params")
    return Criterion(
        code=code,
        text=_need(raw, "text", str, where).strip(),
        max_points=points,
        rule=rule,
        rule_text=_need(raw, "rule_text", str, where).strip(),
        note_full=_need(raw, "note_full", str, where).strip(),
        note_zero=_need(raw, "note_zero", str, where).strip(),
        params=dict(params),
    )


def load_scheme(path: Path) -> Scheme:
    """Read and check one scheme file; SchemeError names the file and the field."""
    where = path.name
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SchemeError(f"{where}: không có tệp bộ tiêu chí này.", field="file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{where}: không phải TOML hợp lệ ({exc}).", field="file") from None
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise SchemeError(
            f"{where}: thiếu các tiêu chí (bảng [[criteria]] với code, max_points, text, rule).",
            field="criteria",
        )
    criteria = tuple(_criterion(c, where) for c in raw_criteria)
    seen: set[str] = set()
    for c in criteria:
        if c.code in seen:
            raise SchemeError(f"{where}: tiêu chí {c.code} có hai lần.", field="code")
        seen.add(c.code)
    year_from = _need(data, "year_from", int, where)
    if not 2000 <= year_from <= 2100:
        raise SchemeError(
            f"{where}: trường «year_from» = {year_from} phải từ 2000 đến 2100.", field="year_from"
        )
    return Scheme(
        province=_need(data, "province", str, where),
        issuer=str(data.get("issuer") or ""),
        decision=_need(data, "decision", str, where),
        decided_on=_need(data, "decided_on", date, where),
        group=_need(data, "group", str, where),
        title=_need(data, "title", str, where),
        year_from=year_from,
        criteria=criteria,
        source=where,
    )


def load_schemes(location: Path = DEFAULT_SCORING_DIR) -> list[Scheme]:
    """Every scheme of a directory (its *.toml files), or the one file given; oldest first.

    Two schemes starting the same year are refused, naming both files.
    """
    paths = sorted(location.glob("*.toml")) if location.is_dir() else [location]
    if not paths:
        raise SchemeError(
            f"{location}: thư mục không có tệp bộ tiêu chí nào (*.toml).", field="scoring_dir"
        )
    schemes = sorted((load_scheme(p) for p in paths), key=lambda s: s.year_from)
    for a, b in zip(schemes, schemes[1:], strict=False):
        if a.year_from == b.year_from:
            raise SchemeError(
                f"{a.source} và {b.source}: hai bộ tiêu chí cùng áp dụng từ năm {a.year_from}.",
                field="year_from",
            )
    return schemes


def scheme_for_year(year: int, location: Path = DEFAULT_SCORING_DIR) -> Scheme:
    """The scheme a year is scored by: the one with the latest year_from not after the year."""
    schemes = [s for s in load_schemes(location) if s.year_from <= year]
    if not schemes:
        raise IsoError(
            # The folder's path is the server's business, not the page's: name the setting.
            f"Chưa có bộ tiêu chí chấm điểm áp dụng cho năm {year} (thư mục bộ tiêu chí: "
            "ISOCYCLE_SCORING_DIR).",
            field="year",
        )
    return schemes[-1]
