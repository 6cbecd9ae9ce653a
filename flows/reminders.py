"""Prefect flows: one run per scheduled tick, thin wrappers around plain functions."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow
from sqlmodel import Session

from config.settings import Settings, get_settings
from models.calendar import load_rule_set
from models.cycles import open_cycle as open_cycle_rule
from models.cycles import rules_for_year
from models.db import make_engine
from models.reminders import load_policy
from notifications.outbox import digest_pass, reminder_pass


def _settings(database_url: str | None) -> Settings:
    base = get_settings()
    return base.model_copy(update={"database_url": database_url}) if database_url else base


def _now(now: str | None) -> datetime:
    """The instant of this run: the given ISO time (local zone if naive) or the clock."""
    if not now:
        return datetime.now(UTC)
    value = datetime.fromisoformat(now)
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_settings().zone)
    return value.astimezone(UTC)


@flow(name="send-reminders", log_prints=True)
def send_reminders(
    now: str | None = None, database_url: str | None = None, skip_days_off: bool = False
) -> dict[str, int]:
    """Decide today's reminders and deliver every due e-mail, in one batched run.

    With skip_days_off (the scheduled run) nothing is sent on a public holiday; the next working
    day's pass catches up with the current stage.
    """
    settings = _settings(database_url)
    instant = _now(now)
    rules = load_rule_set(settings.calendar_file)
    if skip_days_off and not rules.working.is_working_day(instant.astimezone(settings.zone).date()):
        return {"skipped_day_off": 1}
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            result = reminder_pass(
                session=session,
                settings=settings,
                policy=load_policy(settings.reminder_policy_file),
                working=rules.working,
                now=instant,
            )
    finally:
        engine.dispose()
    return result.counts()


@flow(name="overseer-digest", log_prints=True)
def overseer_digest(now: str | None = None, database_url: str | None = None) -> dict[str, int]:
    """Queue and send this week's digest of overdue steps to the overseer (Sở KH&CN)."""
    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return digest_pass(
                session=session,
                settings=settings,
                policy=load_policy(settings.reminder_policy_file),
                now=_now(now),
            )
    finally:
        engine.dispose()


@flow(name="open-cycle", log_prints=True)
def open_cycle(year: int | None = None, database_url: str | None = None) -> dict[str, int]:
    """Open the year's steps for every agency (the current local year unless given)."""
    settings = _settings(database_url)
    year = year or datetime.now(settings.zone).year
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rules = rules_for_year(
                session=session, year=year, default=load_rule_set(settings.calendar_file)
            )
            result = open_cycle_rule(
                session=session, year=year, rules=rules, actor="flow:open-cycle"
            )
    finally:
        engine.dispose()
    return {"year": year, "created": result.created, "updated": result.updated}
