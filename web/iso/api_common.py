"""What the ISO record API modules share: request bodies refusing lone surrogates, dates kept
in 2000–2100, the read/write checks by scope, and the 422 answer listing each refused field.

Every write goes through models/iso, which validates and writes all or nothing; its refusals
(IsoError) answer 422 with `detail` (Vietnamese text) and `errors`: each refused field's path
(findings.0.unit) with its Vietnamese message.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any

from fastapi import HTTPException, Path
from pydantic import AfterValidator, BaseModel, Field, model_validator
from sqlmodel import Session

from config.settings import Settings
from models import iso
from models.calendar import WorkingCalendar, load_rule_set
from models.tables import Agency
from web.api import _agency
from web.deps import Viewer

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
NumberPath = Annotated[int, Path(ge=1, le=1_000_000, description="The action's number (#).")]
WRITE: dict[int | str, dict[str, Any]] = {403: {}, 404: {}, 422: {}}


def _in_range(day: date) -> date:
    # Deadlines are computed from these dates; far-off ones would overflow the date type.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("must be between 2000-01-01 and 2100-12-31")
    return day


Day = Annotated[date, AfterValidator(_in_range)]
Value = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


def _strings(value: Any) -> Any:
    """Every string in a body, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


class Body(BaseModel):
    """A request body; lone surrogates cannot be stored as UTF-8, so they are refused here."""

    @model_validator(mode="before")
    @classmethod
    def _no_surrogates(cls, data: Any) -> Any:
        for text in _strings(data):
            if any(unicodedata.category(c) == "Cs" for c in text):
                raise ValueError("text contains an invalid character (lone surrogate)")
        return data


def iso_rules(settings: Settings) -> iso.IsoRules:
    return iso.load_iso_rules(settings.iso_rules_file)


def working(settings: Settings) -> WorkingCalendar:
    return load_rule_set(settings.calendar_file).working


def _readable(session: Session, viewer: Viewer, code: str) -> Agency:
    agency = _agency(session, code)
    if not viewer.scope.can_see(agency.id):
        raise HTTPException(403, f"you may not see agency {code!r}")
    return agency


def _writable(session: Session, viewer: Viewer, code: str) -> Agency:
    agency = _agency(session, code)
    if not viewer.scope.can_write(agency.id):
        raise HTTPException(403, f"you may not change agency {code!r}")
    return agency


class Refused(HTTPException):
    """A 422 whose body also lists each refused field: {"field": path, "message": Vietnamese}."""

    def __init__(self, exc: iso.IsoError) -> None:
        super().__init__(422, str(exc))
        self.errors = [{"field": e.field, "message": e.message} for e in exc.errors]


def _refused(session: Session, exc: iso.IsoError) -> HTTPException:
    session.rollback()
    return Refused(exc)
