"""What every command shares: settings, the database session, dates and table printing.

The CLI loads this and every command module to list its commands, so only typer and the standard
library are imported here at the top; the database layer is imported when a command needs it.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from config.settings import Settings

# A cycle year as an argument: typer refuses anything else with a message naming YEAR.
Year = Annotated[int, typer.Argument(min=2000, max=2100, help="Cycle year, e.g. 2026.")]


class State:
    """The options given before the command (`isocycle --db URL ...`)."""

    db_url: str | None = None
    # A key for this process only (`demo --serve` without a strong key of its own).
    secret_key: str | None = None


STATE = State()


def settings() -> Settings:
    from pydantic import ValidationError

    from config.settings import get_settings

    try:
        base = get_settings()
    except ValidationError as exc:
        reasons = "; ".join(
            str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
        )
        fail(f"cấu hình ISOCYCLE_* không dùng được (invalid settings): {reasons}")
    update: dict[str, Any] = {"database_url": STATE.db_url} if STATE.db_url else {}
    if STATE.secret_key:
        from pydantic import SecretStr

        update["secret_key"] = SecretStr(STATE.secret_key)
    return base.model_copy(update=update) if update else base


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Lỗi (error): {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def engine() -> Engine:
    from models.db import make_engine

    return make_engine(settings().database_url)


def ensure_schema(eng: Engine) -> None:
    """Stop with a clear message when the database has not been initialised or migrated."""
    from sqlalchemy import inspect, text

    from models.db import HEAD

    # Alembic's own table, read directly: importing Alembic costs more than the whole command.
    with eng.connect() as conn:
        found = (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if inspect(conn).has_table("alembic_version")
            else []
        )
    current = ", ".join(found) or None
    if current != HEAD:
        fail(
            f"the database at {eng.url!r} is not at schema {HEAD} (found {current}); "
            "run `isocycle init`"
        )


@contextmanager
def session_scope() -> Iterator[Session]:
    from sqlmodel import Session

    eng = engine()
    ensure_schema(eng)
    try:
        with Session(eng) as session:
            yield session
    finally:
        eng.dispose()


def local_today() -> date:
    """Today in the configured zone (Asia/Ho_Chi_Minh): the edge reads the clock, once."""
    return datetime.now(settings().zone).date()


def parse_day(value: str, option: str) -> date:
    for parse in (date.fromisoformat, lambda v: datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            return parse(value)
        except ValueError:
            continue
    fail(f"{option}: {value!r} is not a real date (YYYY-MM-DD or dd/mm/yyyy)")


def actor(by: str | None) -> str:
    return by or os.environ.get("ISOCYCLE_ACTOR") or f"cli:{getpass.getuser()}"


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    return str(obj)


def to_json(value: Any) -> str:
    """Serialise for output; a list is written one object per line.

    json's C encoder only runs without `indent`, and a whole province's status is tens of
    thousands of objects, so lists stay compact per item but readable per line.
    """
    if isinstance(value, list):
        items = [json.dumps(v, ensure_ascii=False, default=_json_default) for v in value]
        return "[\n" + ",\n".join(items) + "\n]" if items else "[]"
    return json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain aligned table (Vietnamese text is NFC, one character per column)."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
