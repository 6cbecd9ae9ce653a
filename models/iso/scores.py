"""The 7.2 self-score (tự chấm điểm) of an agency's year: suggested points from the evidence, the
secretary's own points with reasons, Sở KH&CN's review, and the province's totals.

- A criterion's final points are the reviewed ones, else the self-scored ones, else the suggested.
- Points are kept as whole quarters of a point (0,25), so sums are exact; pages get Decimal.
- Authorization is the edge's: a secretary scores their own agency, and only the overseer's users
  (may_review) review. Every change writes a HistoryEntry (config/history/scores.toml).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, col, select as orm_select

from models.iso.base import FieldError, IsoError, _atomic, _history, _text, get_agency
from models.iso.report_checks import ACTING_ROLES, DEFAULT_OVERSEER_CODE, ancestor_ids, overseer_id
from models.iso.scheme import STEP, Criterion, Scheme, is_step, parse_points, scheme_for_year
from models.iso.score_rules import Context, suggest
from models.periods import PeriodRule
from models.tables import Agency, instant, table_of, utcnow
from models.vn_format import vn_number

ENTITY = "score"
MAX_REASON = 2000
MAX_NOTE = 300


# One criterion of an agency's year: the secretary's points and Sở KH&CN's review, in quarters.
class Score(SQLModel, table=True):
    __tablename__ = "iso_score"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "criterion", name="uq_iso_score_criterion"),
        Index("ix_iso_score_year_agency", "year", "agency_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    year: int
    criterion: str = Field(max_length=20)
    # The decision whose criteria these are ("3396/QĐ-UBND"), as scored.
    scheme: str = Field(max_length=100)
    self_quarters: int | None = None
    self_reason: str | None = Field(default=None, max_length=MAX_REASON)
    self_note: str | None = Field(default=None, max_length=MAX_NOTE)
    self_by: str | None = Field(default=None, max_length=200)
    self_at: datetime | None = instant(default=None)
    reviewed_quarters: int | None = None
    review_reason: str | None = Field(default=None, max_length=MAX_REASON)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = instant(default=None)


SCORE = table_of(Score)


def points_text(points: Decimal | None) -> str:
    """Points as the annexes write them: "0,5", "4,5", "5" ("" for none)."""
    return "" if points is None else vn_number(points)


def _quarters(points: Decimal) -> int:
    return int(points / STEP)


def _points(quarters: int | None) -> Decimal | None:
    # Dividing keeps the shortest exact form: 2 quarters are 0.5, not 0.50.
    return None if quarters is None else Decimal(quarters) / 4


@dataclass(frozen=True)
class CriterionScore:
    """One criterion on an agency's card: the suggestion with its rule, and what was scored."""

    code: str
    text: str
    max_points: Decimal
    suggested: Decimal
    rule_text: str
    evidence: str
    self_points: Decimal | None
    self_reason: str | None
    reviewed_points: Decimal | None
    review_reason: str | None
    points: Decimal
    note: str
    self_by: str | None = None
    self_at: datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    self_note: str | None = None  # the note the secretary typed for Phụ lục IA, as typed


@dataclass(frozen=True)
class ScoreCard:
    """An agency's 7.2 score for a year under its scheme (total "4,5/5")."""

    agency_code: str
    agency_name: str
    year: int
    scheme_decision: str
    scheme_title: str
    criteria: list[CriterionScore]
    total: Decimal
    max_total: Decimal
    recorded: bool
    agency_id: uuid.UUID | None = None
    scheme_group: str = ""

    @property
    def total_text(self) -> str:
        return f"{points_text(self.total)}/{points_text(self.max_total)}"

    def criterion(self, code: str) -> CriterionScore:
        return next(c for c in self.criteria if c.code == code)


@dataclass(frozen=True)
class ScoreIn:
    """A criterion's points as entered (any spelling parse_points reads), with the reason."""

    criterion: str
    points: object
    reason: str | None = None
    note: str | None = None


# --- reading ------------------------------------------------------------------------------------


def _rows(session: Session, agency_id: uuid.UUID, year: int) -> dict[str, Score]:
    return {
        s.criterion: s
        for s in session.exec(
            orm_select(Score).where(Score.agency_id == agency_id, Score.year == year)
        )
    }


def _note(c: Criterion, points: Decimal, row: Score | None) -> str:
    if row is not None and row.self_note and row.self_quarters == _quarters(points):
        return row.self_note
    return c.note_full if points >= c.max_points else c.note_zero


def _card(
    session: Session,
    agency: Agency,
    year: int,
    today: date,
    scheme: Scheme,
    periods: PeriodRule,
) -> ScoreCard:
    ctx = Context(session=session, agency=agency, year=year, today=today, periods=periods)
    rows = _rows(session, agency.id, year)
    out = []
    for c in scheme.criteria:
        found = suggest(ctx, c)
        row = rows.get(c.code)
        own = _points(row.self_quarters) if row else None
        reviewed = _points(row.reviewed_quarters) if row else None
        final = reviewed if reviewed is not None else own if own is not None else found.points
        out.append(
            CriterionScore(
                code=c.code,
                text=c.text,
                max_points=c.max_points,
                suggested=found.points,
                rule_text=c.rule_text,
                evidence=found.evidence,
                self_points=own,
                self_reason=row.self_reason if row else None,
                reviewed_points=reviewed,
                review_reason=row.review_reason if row else None,
                points=final,
                note=_note(c, final, row),
                self_by=row.self_by if row else None,
                self_at=row.self_at if row else None,
                reviewed_by=row.reviewed_by if row else None,
                reviewed_at=row.reviewed_at if row else None,
                self_note=row.self_note if row else None,
            )
        )
    return ScoreCard(
        agency_code=agency.code,
        agency_name=agency.name,
        year=year,
        scheme_decision=scheme.decision,
        scheme_title=scheme.title,
        criteria=out,
        total=sum((c.points for c in out), Decimal(0)),
        max_total=scheme.max_total,
        recorded=bool(rows),
        agency_id=agency.id,
        scheme_group=scheme.group,
    )


def score_card(
    *,
    session: Session,
    agency_code: str,
    year: int,
    today: date,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
) -> ScoreCard:
    """An agency's score card for a year: each criterion's suggestion, rule, evidence, self and
    reviewed points, final points and annex note; the scheme defaults to the year's."""
    agency = get_agency(session, agency_code)
    chosen = scheme or scheme_for_year(year)
    return _card(session, agency, year, today, chosen, periods or PeriodRule())


def annex_ia_rows(
    *,
    session: Session,
    agency_code: str,
    year: int,
    today: date,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
) -> list[ScoreCard]:
    """The cards of Phụ lục IA: the agency first, then its direct units that recorded a score
    for the year (by name)."""
    agency = get_agency(session, agency_code)
    chosen = scheme or scheme_for_year(year)
    rule = periods or PeriodRule()
    recorded = select(SCORE.c.agency_id).where(SCORE.c.year == year)
    children = session.exec(
        orm_select(Agency)
        .where(Agency.parent_id == agency.id, col(Agency.id).in_(recorded))
        .order_by(col(Agency.name))
    ).all()
    return [_card(session, a, year, today, chosen, rule) for a in [agency, *children]]


# Ids per query in score_totals: under every backend's limit on bound parameters.
ID_CHUNK = 2000


def score_totals(
    *,
    session: Session,
    year: int,
    agency_ids: list[uuid.UUID],
    scheme: Scheme | None = None,
    today: date | None = None,
) -> dict[uuid.UUID, Decimal]:
    """The final totals of the agencies (of those given) that recorded a score for the year.

    One query per 2,000 agencies. An agency whose stored rows cover every criterion is summed from
    them; one that scored only some criteria gets the suggestions for the rest (as of `today`,
    default the year's last day), which costs its own queries.
    """
    chosen = scheme or scheme_for_year(year)
    codes = [c.code for c in chosen.criteria]
    s = SCORE.c
    found: dict[uuid.UUID, dict[str, int]] = {}
    ids = list(agency_ids)
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        for agency_id, criterion, own, reviewed in session.execute(
            select(s.agency_id, s.criterion, s.self_quarters, s.reviewed_quarters).where(
                s.year == year, s.agency_id.in_(chunk)
            )
        ).tuples():
            final = reviewed if reviewed is not None else own
            if final is not None and criterion in codes:
                found.setdefault(agency_id, {})[criterion] = final
            else:
                found.setdefault(agency_id, {})
    out: dict[uuid.UUID, Decimal] = {}
    partial = []
    for agency_id, by_code in found.items():
        if all(code in by_code for code in codes):
            out[agency_id] = Decimal(sum(by_code.values())) / 4
        else:
            partial.append(agency_id)
    day = today or date(year, 12, 31)
    for agency_id in partial:
        agency = session.get(Agency, agency_id)
        assert agency is not None  # the score row's foreign key
        out[agency_id] = _card(session, agency, year, day, chosen, PeriodRule()).total
    return out


def score_distribution(
    totals: Mapping[uuid.UUID, Decimal], max_total: Decimal = Decimal(5)
) -> list[tuple[str, int]]:
    """How many agencies fall in each band, with the summary's labels: "5 điểm", "từ 4 đến dưới
    5 điểm", ..., "dưới 1 điểm" (every band listed, empty ones with 0)."""
    top = Decimal(max_total)
    labels = [f"{points_text(top)} điểm"]
    bands: list[tuple[Decimal, Decimal]] = []
    upper = top
    for low in range(int(top) if top % 1 else int(top) - 1, 0, -1):
        labels.append(f"từ {low} đến dưới {points_text(upper)} điểm")
        bands.append((Decimal(low), upper))
        upper = Decimal(low)
    labels.append(f"dưới {points_text(upper)} điểm")
    counts = [0] * len(labels)
    for total in totals.values():
        if total >= top:
            counts[0] += 1
            continue
        at = next((i for i, (lo, hi) in enumerate(bands) if lo <= total < hi), len(bands))
        counts[at + 1] += 1
    return list(zip(labels, counts, strict=True))


# --- who reviews --------------------------------------------------------------------------------


def may_review(
    *,
    session: Session,
    role: str,
    user_agency_id: uuid.UUID | None,
    overseer_code: str = DEFAULT_OVERSEER_CODE,
) -> bool:
    """Only Sở KH&CN reviews: an admin, or a secretary or supervisor of the overseer or of one of
    its units (the Chi cục TĐC)."""
    if role == "admin":
        return True
    if role not in ACTING_ROLES or user_agency_id is None:
        return False
    overseer = overseer_id(session, overseer_code)
    if overseer is None:
        return False
    return user_agency_id == overseer or overseer in ancestor_ids(session, user_agency_id)


# --- writing ------------------------------------------------------------------------------------


def _check_points(
    c: Criterion, value: object, field: str
) -> tuple[Decimal | None, list[FieldError]]:
    label = f"Tiêu chí {c.code}"
    try:
        points = parse_points(value, label)
    except IsoError as exc:
        return None, [FieldError(field, exc.errors[0].message)]
    if points < 0 or points > c.max_points:
        return None, [
            FieldError(
                field,
                f"{label}: {points_text(points)} điểm nằm ngoài khoảng 0 đến "
                f"{points_text(c.max_points)} điểm.",
            )
        ]
    if not is_step(points):
        return None, [
            FieldError(
                field,
                f"{label}: {points_text(points)} điểm không phải bội của 0,25 (chấm 0; 0,25; "
                "0,5; ...).",
            )
        ]
    return points, []


def _reason(
    value: str | None, field: str, label: str, limit: int
) -> tuple[str | None, list[FieldError]]:
    try:
        return _text(value, field, label, limit), []
    except IsoError as exc:
        return None, list(exc.errors)


def _validated(
    scheme: Scheme,
    entries: Sequence[ScoreIn],
    compare: Mapping[str, Decimal],
    what: str,
) -> list[tuple[Criterion, Decimal, str | None, str | None]]:
    """Check every entry (criterion, points, reason) and return them, or raise all the errors."""
    errors: list[FieldError] = []
    out = []
    seen: set[str] = set()
    if not entries:
        raise IsoError("Chưa nêu tiêu chí nào để chấm.", field="criterion")
    for entry in entries:
        try:
            c = scheme.criterion(entry.criterion)
        except IsoError as exc:
            errors.extend(exc.errors)
            continue
        if c.code in seen:
            errors.append(FieldError(f"{c.code}.criterion", f"Tiêu chí {c.code} được nêu hai lần."))
            continue
        seen.add(c.code)
        points, problems = _check_points(c, entry.points, f"{c.code}.points")
        reason, bad = _reason(
            entry.reason, f"{c.code}.reason", f"lý do của tiêu chí {c.code}", MAX_REASON
        )
        note, bad_note = _reason(
            entry.note, f"{c.code}.note", f"ghi chú của tiêu chí {c.code}", MAX_NOTE
        )
        problems += bad + bad_note
        if points is not None and not reason and points != compare[c.code]:
            problems.append(
                FieldError(
                    f"{c.code}.reason",
                    f"Tiêu chí {c.code}: {points_text(points)} điểm khác {what} "
                    f"({points_text(compare[c.code])} điểm), cần nêu lý do.",
                )
            )
        errors.extend(problems)
        if not problems and points is not None:
            out.append((c, points, reason, note))
    if errors:
        raise IsoError(errors=errors)
    return out


def _context(
    session: Session,
    agency_code: str,
    year: int,
    today: date,
    scheme: Scheme | None,
    periods: PeriodRule | None,
) -> tuple[Agency, Scheme, ScoreCard]:
    agency = get_agency(session, agency_code)
    if not 2000 <= year <= today.year:
        raise IsoError(
            f"Năm {year} không chấm được (từ 2000 đến năm nay, {today.year}).", field="year"
        )
    chosen = scheme or scheme_for_year(year)
    return agency, chosen, _card(session, agency, year, today, chosen, periods or PeriodRule())


@_atomic
def set_self_scores(
    *,
    session: Session,
    agency_code: str,
    year: int,
    entries: Sequence[ScoreIn],
    actor: str,
    today: date,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
    now: datetime | None = None,
) -> ScoreCard:
    """Record the secretary's points for some criteria of a year, in one transaction.

    - Points are 0 to the criterion's maximum, in steps of 0,25; a reason is required when they
      differ from the suggestion. Every error is reported at once, naming the criterion.
    - Each criterion that changes writes a history entry saying the points, suggestion and reason.
    """
    agency, chosen, card = _context(session, agency_code, year, today, scheme, periods)
    suggested = {c.code: c.suggested for c in card.criteria}
    checked = _validated(chosen, entries, suggested, "điểm gợi ý")
    rows = _rows(session, agency.id, year)
    now = now or utcnow()
    for c, points, reason, note in checked:
        row = rows.get(c.code)
        if row is None:
            row = Score(agency_id=agency.id, year=year, criterion=c.code, scheme=chosen.decision)
        old = _points(row.self_quarters)
        if old == points and row.self_reason == reason and row.self_note == note:
            continue
        before = {"self_points": _float(old), "self_reason": row.self_reason}
        row.self_quarters, row.self_reason, row.self_note = _quarters(points), reason, note
        row.self_by, row.self_at, row.scheme = actor, now, chosen.decision
        session.add(row)
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity=ENTITY,
            entity_id=c.code,
            action="self_scored" if old is None else "self_rescored",
            old=None if old is None else before,
            new={
                **({} if old is None else {"previous_points": _float(old)}),
                "self_points": _float(points),
                "suggested": _float(suggested[c.code]),
                "max_points": _float(c.max_points),
                "self_reason": reason,
            },
        )
    session.commit()
    return _card(session, agency, year, today, chosen, periods or PeriodRule())


def set_self_score(
    *,
    session: Session,
    agency_code: str,
    year: int,
    criterion: str,
    points: object,
    actor: str,
    today: date,
    reason: str | None = None,
    note: str | None = None,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
) -> ScoreCard:
    """Record the secretary's points for one criterion (see set_self_scores)."""
    return set_self_scores(
        session=session,
        agency_code=agency_code,
        year=year,
        entries=[ScoreIn(criterion, points, reason, note)],
        actor=actor,
        today=today,
        scheme=scheme,
        periods=periods,
    )


@_atomic
def review_scores(
    *,
    session: Session,
    agency_code: str,
    year: int,
    entries: Sequence[ScoreIn],
    actor: str,
    today: date,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
    now: datetime | None = None,
) -> ScoreCard:
    """Record Sở KH&CN's reviewed points for some criteria, in one transaction.

    - The same range and steps as a self-score; a reason is required when the reviewed points
      differ from the agency's (its self-score, else the suggestion).
    - The caller checks the reviewer is the overseer's (may_review).
    """
    agency, chosen, card = _context(session, agency_code, year, today, scheme, periods)
    before_review = {
        c.code: c.self_points if c.self_points is not None else c.suggested for c in card.criteria
    }
    checked = _validated(chosen, entries, before_review, "điểm đơn vị tự chấm")
    rows = _rows(session, agency.id, year)
    now = now or utcnow()
    for c, points, reason, _note in checked:
        row = rows.get(c.code)
        if row is None:
            row = Score(agency_id=agency.id, year=year, criterion=c.code, scheme=chosen.decision)
        old = _points(row.reviewed_quarters)
        if old == points and row.review_reason == reason:
            continue
        before = {"reviewed_points": _float(old), "review_reason": row.review_reason}
        row.reviewed_quarters, row.review_reason = _quarters(points), reason
        row.reviewed_by, row.reviewed_at = actor, now
        session.add(row)
        _history(
            session,
            actor=actor,
            agency_id=agency.id,
            year=year,
            entity=ENTITY,
            entity_id=c.code,
            action="reviewed" if old is None else "re_reviewed",
            old=None if old is None else before,
            new={
                **({} if old is None else {"previous_points": _float(old)}),
                "reviewed_points": _float(points),
                "agency_points": _float(before_review[c.code]),
                "max_points": _float(c.max_points),
                "review_reason": reason,
            },
        )
    session.commit()
    return _card(session, agency, year, today, chosen, periods or PeriodRule())


def review_score(
    *,
    session: Session,
    agency_code: str,
    year: int,
    criterion: str,
    points: object,
    actor: str,
    today: date,
    reason: str | None = None,
    scheme: Scheme | None = None,
    periods: PeriodRule | None = None,
) -> ScoreCard:
    """Record Sở KH&CN's reviewed points for one criterion (see review_scores)."""
    return review_scores(
        session=session,
        agency_code=agency_code,
        year=year,
        entries=[ScoreIn(criterion, points, reason)],
        actor=actor,
        today=today,
        scheme=scheme,
        periods=periods,
    )


def _float(points: Decimal | None) -> float | None:
    # History is JSON: a multiple of 0,25 is exact in binary, so the float loses nothing.
    return None if points is None else float(points)


def recorded_agency_ids(
    *, session: Session, year: int, agency_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """The agencies (of those given) with a stored score for the year."""
    ids = list(agency_ids)
    out: set[uuid.UUID] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        out |= set(
            session.execute(
                select(SCORE.c.agency_id).where(SCORE.c.year == year, SCORE.c.agency_id.in_(chunk))
            ).scalars()
        )
    return out
