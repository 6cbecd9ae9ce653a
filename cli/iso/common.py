"""What the ISO commands share: options, and a session that turns refusals into messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    fail,
    local_today,
    parse_day,
    session_scope,
    settings,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from models import iso
    from models.calendar import RuleSet, WorkingCalendar


ACTION_STATUS = {
    "open": "đang thực hiện",
    "overdue": "quá hạn",
    "awaiting_verification": "chờ xác nhận hiệu lực",
    "closed": "đã đóng",
}
By = Annotated[str | None, typer.Option("--by", help="Who records it (default: the OS user).")]
Today = Annotated[str | None, typer.Option("--today", hidden=True)]
AsJson = Annotated[bool, typer.Option("--json")]


def today_from(value: str | None) -> date:
    return parse_day(value, "--today") if value else local_today()


def iso_rules() -> iso.IsoRules:
    from models import iso

    try:
        return iso.load_iso_rules(settings().iso_rules_file)
    except iso.IsoError as exc:
        fail(str(exc))


def calendar_rules() -> RuleSet:
    from models.calendar import CalendarError, load_rule_set

    try:
        return load_rule_set(settings().calendar_file)
    except CalendarError as exc:
        fail(str(exc))


def working_calendar() -> WorkingCalendar:
    return calendar_rules().working


@contextmanager
def refusals() -> Iterator[Session]:
    """A session whose IsoError becomes a clear CLI failure (exit 1, message on stderr)."""
    from models import iso

    with session_scope() as session:
        try:
            yield session
        except iso.IsoError as exc:
            session.rollback()
            fail(str(exc))


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
