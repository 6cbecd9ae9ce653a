"""Numbers and dates as Vietnamese offices write them, for every place a value reaches a user.

One formatter for pages (the `vn_number` filter), e-mails, CLI tables and history lines:
thousands are grouped with a dot and decimals follow a comma ("10.000.000", "4,5"). Years,
codes and document numbers are not quantities and are never passed here. Form fields that a
user edits and sends back use `group=False`, because the forms read "1.234" as 1,234.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# An .xlsx number format: Excel groups and places the decimal mark by the reader's locale, so a
# Vietnamese Excel shows 10.000.000 and 4,5 from these (the codes are always written en-US).
XLSX_INTEGER = "#,##0"
XLSX_DECIMAL = "#,##0.##"
XLSX_DATE = "DD/MM/YYYY"


def vn_number(value: object, digits: int | None = None, *, group: bool = True) -> str:
    """A number as Vietnamese write it: "10.000.000", "4,5", "-1.234,75"; no trailing zeros.

    - `digits` rounds to that many decimals (then drops trailing zeros); None keeps up to 10.
    - `group=False` leaves out the thousands dots (a form value read back as typed).
    - None gives ""; a bool gives "có"/"không"; text is returned as it is.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if not isinstance(value, int | float | Decimal):
        return str(value)
    places = 10 if digits is None else digits
    text = f"{value:,.{places}f}" if group else f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0") or text.strip("-0,.") == "":
        return "0"
    # Python writes 1,234.5; Vietnamese writes 1.234,5.
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vn_date(value: object) -> str:
    """A date as dd/mm/yyyy (what every page, e-mail and table shows); anything else gives ""."""
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else ""
