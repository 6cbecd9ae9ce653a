"""`isocycle score`: an agency's 7.2 self-score for a year (show, set, review by Sở KH&CN)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import Year, actor, fail, settings, to_json
from cli.iso.common import AsJson, By, Today, iso_rules, refusals, today_from

if TYPE_CHECKING:
    from sqlmodel import Session

    from models.iso import Scheme, ScoreCard

app = typer.Typer(
    help="The 7.2 self-score (tự chấm điểm tiêu chí 7.2, QĐ 3396/QĐ-UBND).", no_args_is_help=True
)

Criterion = Annotated[str, typer.Argument(help="The criterion's code, e.g. 7.2.2.")]
Points = Annotated[str, typer.Argument(help="Points, e.g. 0,5 (multiples of 0,25).")]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why (required when it differs from the agency's).")
]


def _scheme(year: int) -> Scheme:
    from models import iso

    try:
        return iso.scheme_for_year(year, settings().scoring_dir)
    except iso.IsoError as exc:
        fail(str(exc))


def card_data(card: ScoreCard) -> dict[str, Any]:
    """A card as the CLI's JSON shows it (points as exact decimal strings, "0.5")."""
    return dataclasses.asdict(card) | {"total_text": card.total_text}


def _show(card: ScoreCard) -> None:
    from cli.common import echo_table
    from models.iso import points_text

    typer.echo(
        f"{card.agency_name} ({card.agency_code}), năm {card.year}: tiêu chí {card.scheme_group} "
        f"– {card.scheme_title} (Quyết định {card.scheme_decision})"
    )
    echo_table(
        ["Tiêu chí", "Tối đa", "Gợi ý", "Tự chấm", "Thẩm định", "Điểm", "Ghi chú"],
        [
            (
                c.code,
                points_text(c.max_points),
                points_text(c.suggested),
                points_text(c.self_points) or "–",
                points_text(c.reviewed_points) or "–",
                points_text(c.points),
                c.note,
            )
            for c in card.criteria
        ],
    )
    for c in card.criteria:
        typer.echo(f"{c.code}: {c.evidence}")
        if c.self_reason:
            typer.echo(f"  Lý do tự chấm: {c.self_reason}")
        if c.review_reason:
            typer.echo(f"  Lý do thẩm định: {c.review_reason}")
    state = "" if card.recorded else " (chưa tự chấm: điểm gợi ý)"
    typer.echo(f"Tổng điểm: {card.total_text}{state}")


@app.command("show")
def score_show(agency: str, year: Year, today: Today = None, as_json: AsJson = False) -> None:
    """Show each criterion: the suggestion with its evidence, self and reviewed points, total."""
    from models import iso

    with refusals() as session:
        card = iso.score_card(
            session=session,
            agency_code=agency,
            year=year,
            today=today_from(today),
            scheme=_scheme(year),
            periods=iso_rules().periods,
        )
    if as_json:
        typer.echo(to_json(card_data(card)))
    else:
        _show(card)


@app.command("set")
def score_set(
    agency: str,
    year: Year,
    criterion: Criterion,
    points: Points,
    reason: Reason = None,
    note: Annotated[str | None, typer.Option("--note", help="Short note for Phụ lục IA.")] = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record the agency's own points for a criterion (a reason when it differs from the
    suggestion); the change goes into the history."""
    from models import iso

    with refusals() as session:
        card = iso.set_self_score(
            session=session,
            agency_code=agency,
            year=year,
            criterion=criterion,
            points=points,
            reason=reason,
            note=note,
            actor=actor(by),
            today=today_from(today),
            scheme=_scheme(year),
            periods=iso_rules().periods,
        )
    if as_json:
        typer.echo(to_json(card_data(card)))
        return
    found = card.criterion(criterion.strip())
    typer.echo(
        f"{agency} {year}: tiêu chí {found.code} tự chấm {iso.points_text(found.self_points)}/"
        f"{iso.points_text(found.max_points)} điểm; tổng {card.total_text}"
    )


def _reviewer(session: Session, by: str | None) -> str:
    """The actor of a review: --by must name an account of Sở KH&CN (an admin, or a user of the
    overseer or of one of its units); without it, the shell's user, who runs isocycle."""
    from models import iso
    from models.users import get_user

    if by is None:
        return actor(None)
    user = get_user(session=session, username=by.strip())
    if user is None:
        fail(f"--by: không có tài khoản «{by}»; thẩm định ghi tên một tài khoản của Sở KH&CN.")
    if not iso.may_review(
        session=session,
        role=user.role,
        user_agency_id=user.agency_id,
        overseer_code=settings().overseer_code,
    ):
        fail(f"--by: tài khoản «{by}» không thuộc Sở KH&CN; chỉ Sở KH&CN thẩm định điểm.")
    return f"cli:{user.username}"


@app.command("review")
def score_review(
    agency: str,
    year: Year,
    criterion: Criterion,
    points: Points,
    reason: Reason = None,
    by: By = None,
    today: Today = None,
    as_json: AsJson = False,
) -> None:
    """Record Sở KH&CN's reviewed points for a criterion (a reason when they differ from the
    agency's); --by names the reviewer's account."""
    from models import iso

    with refusals() as session:
        card = iso.review_score(
            session=session,
            agency_code=agency,
            year=year,
            criterion=criterion,
            points=points,
            reason=reason,
            actor=_reviewer(session, by),
            today=today_from(today),
            scheme=_scheme(year),
            periods=iso_rules().periods,
        )
    if as_json:
        typer.echo(to_json(card_data(card)))
        return
    found = card.criterion(criterion.strip())
    typer.echo(
        f"{agency} {year}: tiêu chí {found.code} thẩm định "
        f"{iso.points_text(found.reviewed_points)}/{iso.points_text(found.max_points)} điểm; "
        f"tổng {card.total_text}"
    )
