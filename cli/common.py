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
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from models.vn_format import vn_number as vn_number  # the CLI shows numbers through it

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
        fail("cấu hình ISOCYCLE_* không dùng được: " + "; ".join(map(setting_error, exc.errors())))
    update: dict[str, Any] = {"database_url": STATE.db_url} if STATE.db_url else {}
    if STATE.secret_key:
        from pydantic import SecretStr

        update["secret_key"] = SecretStr(STATE.secret_key)
    return base.model_copy(update=update) if update else base


def setting_error(error: Any) -> str:
    """One refused setting in Vietnamese, naming its variable and the value given; pydantic's own
    words follow in parentheses for the types it checks (a number, a path...)."""
    reason = str(error.get("msg", "")).removeprefix("Value error, ")
    if not error.get("loc"):  # a check across settings: its message names the variables
        return reason
    name = "ISOCYCLE_" + "_".join(str(part) for part in error["loc"]).upper()
    if any(word in name for word in ("KEY", "PASSWORD", "SECRET", "URL")):
        return f"biến {name} không hợp lệ ({reason})"  # a secret is never echoed
    return f"biến {name} có giá trị «{error.get('input', '')}» không hợp lệ ({reason})"


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Lỗi (error): {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def engine() -> Engine:
    from models.db import make_engine

    return make_engine(settings().database_url)


def shown_url(eng: Engine) -> str:
    return eng.url.render_as_string(hide_password=True)


def schema_refusal(eng: Engine, *, for_init: bool = False) -> str | None:
    """Why a command (or `init`, which can create and upgrade) cannot use this database; None
    when it can. Says what is wrong and what to do, in Vietnamese."""
    from models.db import HEAD, schema_state

    state = schema_state(eng)
    url = shown_url(eng)
    match state.kind:
        case "current":
            return None
        case "empty" | "older" if for_init:
            return None
        case "empty":
            return f"cơ sở dữ liệu {url} chưa được khởi tạo; hãy chạy `isocycle init`"
        case "older":
            return (
                f"cơ sở dữ liệu {url} ở lược đồ bản {state.current}, cũ hơn bản {HEAD} mà "
                "isocycle này dùng; hãy nâng cấp nó: `isocycle backup TỆP` rồi `isocycle init`"
            )
        case "newer":
            return (
                f"cơ sở dữ liệu {url} ở lược đồ bản {state.current}, mới hơn bản {HEAD} mà "
                "isocycle này biết: nó đã được một phiên bản isocycle mới hơn nâng cấp. Hãy "
                "cài lại phiên bản isocycle đó (hoặc mới hơn); `isocycle init` không hạ cấp được, "
                "và isocycle này không ghi gì vào đó"
            )
    shown = ", ".join(state.tables[:5]) + (", …" if len(state.tables) > 5 else "")
    return (
        f"cơ sở dữ liệu {url} có {len(state.tables)} bảng ({shown}) nhưng không có dấu phiên "
        "bản lược đồ (bảng alembic_version): nó không do `isocycle init` tạo, hoặc dấu đã bị "
        "xoá. isocycle không ghi vào đó; hãy dùng một cơ sở dữ liệu khác (--db hoặc "
        "ISOCYCLE_DATABASE_URL), hoặc khôi phục một bản sao lưu vào cơ sở dữ liệu mới "
        "(`isocycle restore TỆP`)"
    )


def ensure_schema(eng: Engine) -> None:
    """Stop with a clear message when the database is not at this code's schema."""
    refusal = schema_refusal(eng)
    if refusal:
        fail(refusal)


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
    """The date of a command-line option, refused unless real and of a year in 1900–2100."""
    for parse in (date.fromisoformat, lambda v: datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            day = parse(value)
        except ValueError:
            continue
        if not 1900 <= day.year <= 2100:
            # "0026-12-31" is a real date to Python, and a typo for 2026 to everyone else.
            fail(f"{option}: năm của ngày {value!r} phải từ 1900 đến 2100 (ghi đủ 4 chữ số)")
        return day
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


def table_cell(value: Any) -> str:
    """A table cell as a person reads it: a decimal number the Vietnamese way ("4,5",
    "10.000.000,5"); whole numbers (years, step numbers, days) are given by the caller as they
    should read, with vn_number for quantities that may pass 999."""
    if value is None:
        return ""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return vn_number(value)
    return str(value)


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain aligned table (Vietnamese text is NFC, one character per column)."""
    cells = [[str(h) for h in headers], *[[table_cell(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            typer.echo("  ".join("-" * w for w in widths))
