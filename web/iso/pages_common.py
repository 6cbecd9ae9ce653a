"""What the ISO record pages share: reading form dates, refusing lone surrogates, and the
write-then-redirect (or re-show with the Vietnamese refusal) every form uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import cycles, iso
from models.tables import Agency
from web.deps import Viewer, flash
from web.pages import (
    agency_or_404,
    date_error,
    has_surrogate,
    parse_vn_date,
    require_write,
    vi_step_error,
)


class FormError(Exception):
    """A form value that cannot be read; the message is Vietnamese and names the field."""


def _date(form: dict[str, str], name: str, label: str, required: bool = True) -> date | None:
    text = form.get(name, "").strip()
    if not text and not required:
        return None
    day = parse_vn_date(text)
    if day is None:
        raise FormError(date_error(label, text))
    return day


def _clean(form: dict[str, str]) -> dict[str, str]:
    """The form, refused when a value holds a lone surrogate (PostgreSQL cannot store one).

    Control characters are left to the models, which refuse them naming the field.
    """
    for value in form.values():
        if has_surrogate(value):
            raise FormError("Một ô của biểu mẫu có ký tự không hợp lệ; hãy gõ lại ô vừa dán.")
    return form


def _back(agency: Agency, year: int, page: str, message: str, request: Request) -> Response:
    flash(request, message)
    return RedirectResponse(f"/agencies/{quote(agency.code)}/{year}/{page}", 303)


def _write(
    request: Request,
    session: Session,
    viewer: Viewer,
    code: str,
    year: int,
    page: str,
    form: dict[str, str],
    show: Callable[[Agency, str], Response],
    write: Callable[[Agency, dict[str, str], str], str],
) -> Response:
    """Check the right to write, apply `write`, and redirect with its message or re-show errors."""
    agency = agency_or_404(session, code)
    require_write(viewer, agency)
    try:
        message = write(agency, _clean(form), f"web:{viewer.user.username}")
    except FormError as exc:
        session.rollback()
        return show(agency, str(exc))
    except iso.IsoError as exc:
        session.rollback()
        # The models' own refusals are Vietnamese; a step's refusal inside one is translated.
        stepped = isinstance(exc.__cause__, cycles.StepError)
        return show(agency, vi_step_error(str(exc)) if stepped else str(exc))
    return _back(agency, year, page, message, request)


def _number(text: str) -> int:
    """A record number from a path or form; 0 (which no record has) when it is not one.

    Larger numbers than any record's are cut off here: the database refuses integers past 64 bits.
    """
    try:
        number = int(text)
    except ValueError:
        return 0
    return number if 0 < number <= 1_000_000 else 0
