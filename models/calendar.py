"""The yearly calendar as data: rule sets, Vietnamese working days and deadline shifting."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from config.settings import DEFAULT_CALENDAR

AGENCY_KINDS = (
    "so",
    "chi_cuc",
    "ubnd_tinh",
    "van_phong",
    "ubnd_xa",
    "phong",
    "trung_tam",
    "don_vi_su_nghiep",
    "ubnd_huyen",  # historical: district level ended on 1/7/2025
)


# How an agency runs its QMS in a year (QĐ 19/2014 Art. 4): building a new system (xây dựng mới,
# Art. 4.1-4.3) or maintaining and improving one (duy trì, cải tiến, Art. 4.4).
MODES = ("build", "maintain")
# Records a step may depend on: `unless_on_record = "steering_committee"` gives the step only to
# an agency with no such record issued before the step's window opens (models/iso/profile.py).
RECORD_CONDITIONS = ("steering_committee",)


class CalendarError(ValueError):
    """A calendar file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class StepRule:
    """One step of the yearly cycle with its default deadline (day, month).

    `requires` names a step it builds on: an agency without that step in a year (it did not
    exist on that step's deadline, or is not of its kinds) does not get this one either.
    """

    key: str
    title: str
    legal_basis: str
    day: int
    month: int
    kinds: frozenset[str]
    # (month, day) of the year before from which a completion counts for the year, for documents
    # issued ahead (a December plan for next year); None: from 1 January of the cycle year.
    earliest: tuple[int, int] | None = None
    requires: str | None = None
    # The type of the document that proves the step, as its number writes it: "KH" in
    # "46/KH-SNgV" (kế hoạch), "QĐ" (quyết định), "BC" (báo cáo), "BB" (biên bản).
    document: str | None = None
    # The QMS modes (MODES) whose agencies get this step; both by default.
    modes: frozenset[str] = frozenset(MODES)
    # A record (RECORD_CONDITIONS) whose presence makes the step unnecessary.
    unless_on_record: str | None = None

    def nominal_due(self, year: int) -> date:
        return date(year, self.month, self.day)

    def earliest_done(self, year: int) -> date:
        """The first completion date accepted for this step in the cycle of `year`."""
        if self.earliest is None:
            return date(year, 1, 1)
        month, day = self.earliest
        return date(year - 1, month, day)


@dataclass(frozen=True)
class WorkingCalendar:
    """Vietnamese working days: Monday to Friday, less public holidays, plus decreed changes."""

    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    _cache: dict[int, frozenset[date]] = field(default_factory=dict, compare=False, repr=False)

    def holidays_in(self, year: int) -> frozenset[date]:
        if year not in self._cache:
            import holidays  # here, not at the top: commands that count no days skip its load

            official = holidays.country_holidays("VN", years=year)
            self._cache[year] = frozenset(official) | {
                d for d in self.extra_holidays if d.year == year
            }
        return self._cache[year]

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays_in(day.year)

    def on_or_after(self, day: date) -> date:
        """Return the day itself if it is a working day, else the next working day.

        Civil Code 2015 Art. 148: a period whose last day is a day off ends on the next working
        day, which is how deadlines in QĐ 19/2014 and TT 26/2014 are counted.
        """
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """Return the date `count` working days after `day` (count >= 0)."""
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days in (start, end]; zero when end <= start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


@dataclass(frozen=True)
class RuleSet:
    """A named, versioned calendar: the steps of a year and the working-day calendar."""

    name: str
    version: str
    steps: tuple[StepRule, ...]
    working: WorkingCalendar
    # The calendar as data (JSON-friendly), so a year opened with an override keeps it.
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The mode of an agency with no QMS profile: `new_agency_mode` if it came into operation
    # during the cycle year (a ward formed on 1/7/2025 builds), else `default_mode`.
    default_mode: str = "maintain"
    new_agency_mode: str = "build"

    @cached_property
    def by_key(self) -> Mapping[str, StepRule]:
        return {s.key: s for s in self.steps}

    def due_dates(self, rule: StepRule, year: int) -> tuple[date, date]:
        """Return (nominal, effective) deadlines of a step in a year."""
        nominal = rule.nominal_due(year)
        return nominal, self.working.on_or_after(nominal)


def _parse_day_month(value: object, where: str) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("/") != 1:
        raise CalendarError(f"{where}: deadline must look like '31/01', got {value!r}")
    day_s, month_s = value.split("/")
    try:
        day, month = int(day_s), int(month_s)
        # A yearly deadline must exist every year, so 29/02 is refused (2023 is not a leap year).
        date(2023, month, day)
    except ValueError as exc:
        raise CalendarError(
            f"{where}: {value!r} is not a day/month that exists every year"
        ) from exc
    return day, month


def _parse_earliest(value: object, where: str) -> tuple[int, int]:
    """'-10-01': 1 October of the year before the cycle year, as (month, day)."""
    text = value if isinstance(value, str) else ""
    parts = text.split("-")
    if len(parts) != 3 or parts[0] or not all(p.isdigit() for p in parts[1:]):
        raise CalendarError(
            f"{where}: must look like '-10-01' (1 October of the year before), got {value!r}"
        )
    month, day = int(parts[1]), int(parts[2])
    try:
        date(2023, month, day)  # a day that exists every year
    except ValueError as exc:
        raise CalendarError(f"{where}: {value!r} is not a month and day of every year") from exc
    return month, day


def _parse_dates(values: object, where: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise CalendarError(f"{where}: must be a list of YYYY-MM-DD dates")
    out = set()
    for v in values:
        if isinstance(v, date):
            out.add(v)
            continue
        try:
            out.add(date.fromisoformat(str(v)))
        except ValueError as exc:
            raise CalendarError(f"{where}: {v!r} is not a YYYY-MM-DD date") from exc
    return frozenset(out)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CalendarError(f"{path}: no such calendar file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"{path}: not valid TOML ({exc})") from exc


def build_rule_set(data: Mapping[str, Any], source: str = "calendar") -> RuleSet:
    """Validate a calendar mapping and return its RuleSet; errors name the step and field."""
    default_kinds = data.get("kinds", list(AGENCY_KINDS))
    steps_data = data.get("steps")
    if not isinstance(steps_data, Mapping) or not steps_data:
        raise CalendarError(f"{source}: needs at least one [steps.KEY] table")
    steps = []
    for key, spec in steps_data.items():
        where = f"{source}: steps.{key}"
        if not isinstance(spec, Mapping):
            raise CalendarError(f"{where}: must be a table")
        if spec.get("enabled", True) is False:
            continue
        for required in ("title", "deadline"):
            if not spec.get(required):
                raise CalendarError(f"{where}.{required}: missing")
        day, month = _parse_day_month(spec["deadline"], f"{where}.deadline")
        earliest = spec.get("earliest_done")
        kinds = spec.get("kinds", default_kinds)
        unknown = sorted(set(kinds) - set(AGENCY_KINDS))
        if unknown:
            raise CalendarError(f"{where}.kinds: unknown agency kind(s) {', '.join(unknown)}")
        document = spec.get("document")
        if document is not None and (
            not isinstance(document, str) or not document.isalpha() or len(document) > 10
        ):
            raise CalendarError(
                f'{where}.document: a document type such as "KH" or "QĐ", not {document!r}'
            )
        modes = spec.get("modes", list(MODES))
        if not isinstance(modes, list) or not modes or set(modes) - set(MODES):
            raise CalendarError(f"{where}.modes: must be a non-empty list of {', '.join(MODES)}")
        unless = str(spec.get("unless_on_record") or "").strip() or None
        if unless is not None and unless not in RECORD_CONDITIONS:
            raise CalendarError(
                f"{where}.unless_on_record: {unless!r} is not one of {', '.join(RECORD_CONDITIONS)}"
            )
        steps.append(
            StepRule(
                key=str(key),
                title=str(spec["title"]),
                legal_basis=str(spec.get("legal_basis", "")),
                day=day,
                month=month,
                kinds=frozenset(kinds),
                earliest=(
                    None
                    if earliest is None
                    else _parse_earliest(earliest, f"{where}.earliest_done")
                ),
                requires=str(spec.get("requires") or "").strip() or None,
                document=document,
                modes=frozenset(modes),
                unless_on_record=unless,
            )
        )
    _check_requires(steps, source)
    working = WorkingCalendar(
        extra_holidays=_parse_dates(data.get("extra_holidays", []), f"{source}: extra_holidays"),
        extra_working_days=_parse_dates(
            data.get("extra_working_days", []), f"{source}: extra_working_days"
        ),
    )
    mode_of = {}
    for key, default in (("default_mode", "maintain"), ("new_agency_mode", "build")):
        mode_of[key] = str(data.get(key, default))
        if mode_of[key] not in MODES:
            raise CalendarError(f"{source}: {key}: must be one of {', '.join(MODES)}")
    return RuleSet(
        name=str(data.get("name", "custom")),
        version=str(data.get("version", "0")),
        steps=tuple(steps),
        working=working,
        data=_jsonable(data),
        **mode_of,
    )


def _check_requires(steps: list[StepRule], source: str) -> None:
    """Refuse a `requires` that names no step of this calendar, or that goes round in a circle."""
    by_key = {s.key: s for s in steps}
    for step in steps:
        seen = [step.key]
        current = step
        while current.requires is not None:
            where = f"{source}: steps.{current.key}.requires"
            if current.requires not in by_key:
                raise CalendarError(
                    f"{where}: {current.requires!r} is not a step of this calendar (unknown or "
                    'disabled); name another step, or set requires = "" to drop the dependency'
                )
            if current.requires in seen:
                raise CalendarError(f"{where}: steps require each other ({' -> '.join(seen)})")
            seen.append(current.requires)
            current = by_key[current.requires]


def with_default_requires(data: Mapping[str, Any], default: RuleSet) -> dict[str, Any]:
    """A calendar stored before steps had `requires`, given the default calendar's dependencies.

    Only when no step of `data` says `requires` at all, and only for a required step it has: a
    calendar that sets them (even to "") is taken as it is.
    """
    steps = data.get("steps")
    if not isinstance(steps, Mapping) or any(
        isinstance(spec, Mapping) and "requires" in spec for spec in steps.values()
    ):
        return dict(data)
    added = {
        key: {**spec, "requires": rule.requires}
        for key, spec in steps.items()
        if isinstance(spec, Mapping)
        and (rule := default.by_key.get(key)) is not None
        and rule.requires is not None
        and isinstance(steps.get(rule.requires), Mapping)
        and steps[rule.requires].get("enabled", True) is not False
    }
    return {**data, "steps": {**steps, **added}}


def _jsonable(value: Any) -> Any:
    """TOML dates become ISO strings, so the calendar can be stored as JSON and read back."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_rule_set(base: Path = DEFAULT_CALENDAR, overrides: Iterable[Path] = ()) -> RuleSet:
    """Load the base calendar and apply each override file on top, field by field.

    An override that does not name its own version is told apart by its file name, so the
    cycle records which calendar it was opened with.
    """
    data = _read_toml(base)
    source = str(base)
    for path in overrides:
        override = _read_toml(path)
        if "version" not in override:
            override["version"] = f"{data.get('version', '0')}+{path.stem}"
        data = _merge(data, override)
        source = f"{source} + {path}"
    return build_rule_set(data, source)
