"""The JSON API of the 7.2 self-score: read an agency's card for a year, put the secretary's
points, and put Sở KH&CN's review.

Same rules as the page (web/scores_pages.py): readers of the agency and Sở KH&CN read; writers of
the agency self-score; only Sở KH&CN's users (iso.may_review) review. Refusals answer 422 with
`detail` (Vietnamese) and `errors` (field path, message). Points are JSON numbers (multiples of
0.25, exact in binary) and also written the Vietnamese way in `*_text`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from models import iso
from web.api import CodePath, _agency
from web.deps import ApiViewer, NowDep, SessionDep, SettingsDep, local_day
from web.iso.api_common import WRITE, Body, _refused
from web.scores_pages import access, require_scoring, scheme_of

router = APIRouter(prefix="/api/v1", tags=["scores"])

YearPath = Annotated[int, Path(ge=2000, le=2100, description="The year scored.")]


class ScoreBody(Body):
    criterion: str = Field(max_length=20, description="The criterion's code, e.g. 7.2.2.")
    points: float | str = Field(description='Points: 0.5, or "0,5"; multiples of 0.25.')
    reason: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=300, description="Note for Phụ lục IA.")


class ScoresIn(Body):
    scores: list[ScoreBody] = Field(min_length=1, max_length=50)


class CriterionOut(BaseModel):
    code: str
    text: str
    max_points: float
    suggested: float
    rule_text: str
    evidence: str
    self_points: float | None
    self_reason: str | None
    reviewed_points: float | None
    review_reason: str | None
    points: float
    points_text: str = Field(description='The final points as written: "0,5".')
    note: str


class CardOut(BaseModel):
    agency: str
    agency_name: str
    year: int
    scheme_decision: str
    scheme_title: str
    recorded: bool
    total: float
    max_total: float
    total_text: str = Field(description='"4,5/5".')
    criteria: list[CriterionOut]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def card_out(card: iso.ScoreCard) -> dict[str, Any]:
    return {
        "agency": card.agency_code,
        "agency_name": card.agency_name,
        "year": card.year,
        "scheme_decision": card.scheme_decision,
        "scheme_title": card.scheme_title,
        "recorded": card.recorded,
        "total": float(card.total),
        "max_total": float(card.max_total),
        "total_text": card.total_text,
        "criteria": [
            {
                "code": c.code,
                "text": c.text,
                "max_points": float(c.max_points),
                "suggested": float(c.suggested),
                "rule_text": c.rule_text,
                "evidence": c.evidence,
                "self_points": _num(c.self_points),
                "self_reason": c.self_reason,
                "reviewed_points": _num(c.reviewed_points),
                "review_reason": c.review_reason,
                "points": float(c.points),
                "points_text": iso.points_text(c.points),
                "note": c.note,
            }
            for c in card.criteria
        ],
    }


@router.get(
    "/agencies/{code}/scores/{year}", response_model=CardOut, responses={403: {}, 404: {}, 422: {}}
)
def get_scores(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
) -> dict[str, Any]:
    """The agency's 7.2 card for the year: suggestions with their rule and evidence, self and
    reviewed points, final points, notes and the total."""
    agency = _agency(session, code)
    access(session, settings, viewer, agency)
    try:
        card = iso.score_card(
            session=session,
            agency_code=agency.code,
            year=year,
            today=local_day(settings, now),
            scheme=scheme_of(settings, year),
            periods=iso.load_iso_rules(settings.iso_rules_file).periods,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return card_out(card)


def _put(
    session: Any, settings: Any, now: Any, viewer: Any, code: str, year: int, body: ScoresIn,
    reviewing: bool,
) -> dict[str, Any]:  # fmt: skip
    agency = _agency(session, code)
    require_scoring(session, settings, viewer, agency, reviewing)
    write = iso.review_scores if reviewing else iso.set_self_scores
    try:
        card = write(
            session=session,
            agency_code=agency.code,
            year=year,
            entries=[
                iso.ScoreIn(s.criterion, s.points, s.reason, None if reviewing else s.note)
                for s in body.scores
            ],
            actor=f"api:{viewer.user.username}",
            today=local_day(settings, now),
            scheme=scheme_of(settings, year),
            periods=iso.load_iso_rules(settings.iso_rules_file).periods,
            now=now,
        )
    except iso.IsoError as exc:
        raise _refused(session, exc) from exc
    return card_out(card)


@router.put("/agencies/{code}/scores/{year}", response_model=CardOut, responses=WRITE)
def put_scores(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ScoresIn,
) -> dict[str, Any]:
    """Record the agency's own points for the criteria sent (a reason where they differ from
    the suggestion); all or nothing, each change in the history."""
    return _put(session, settings, now, viewer, code, year, body, False)


@router.put("/agencies/{code}/scores/{year}/review", response_model=CardOut, responses=WRITE)
def put_review(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    viewer: ApiViewer,
    code: CodePath,
    year: YearPath,
    body: ScoresIn,
) -> dict[str, Any]:
    """Record Sở KH&CN's reviewed points for the criteria sent (a reason where they differ from
    the agency's); only Sở KH&CN's users."""
    return _put(session, settings, now, viewer, code, year, body, True)
