"""Numbers shown to people are written the Vietnamese way ("4,5", "10.000.000") by one shared
formatter, in pages, e-mails, CLI tables and .xlsx (issue 11, item 8)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from models.vn_format import XLSX_INTEGER, vn_number
from notifications.messages import render_digest
from web import app as web_app
from web.dashboard import _Sheet


@pytest.mark.parametrize(
    ("value", "kwargs", "shown"),
    [
        (10_000_000, {}, "10.000.000"),
        (4.5, {}, "4,5"),
        (1234.75, {}, "1.234,75"),
        (-1234.75, {}, "-1.234,75"),
        (999, {}, "999"),
        (1000, {}, "1.000"),
        (98.0, {}, "98"),
        (0.25, {}, "0,25"),
        (-0.0, {}, "0"),
        (-0.0001, {"digits": 2}, "0"),
        (98.7, {"digits": 0}, "99"),
        (98.123, {"digits": 2}, "98,12"),
        (Decimal("10000000.50"), {}, "10.000.000,5"),
        (1234.5, {"group": False}, "1234,5"),
        (None, {}, ""),
        (True, {}, "có"),
    ],
)
def test_one_formatter_writes_numbers_the_vietnamese_way(value, kwargs, shown):
    assert vn_number(value, **kwargs) == shown


def test_pages_group_thousands_but_form_values_stay_as_typed():
    assert web_app.vn_number(12345) == "12.345" and web_app.vn_number(4.5) == "4,5"
    # A value put back into a form field: the forms read "1.234" as a decimal point.
    assert web_app.vn_number(1234.5, group=False) == "1234,5"


def test_the_digest_counts_thousands_with_dots(settings):
    rows = [
        {
            "year": 2026,
            "code": f"X{n}",
            "key": "plan",
            "name": f"UBND xã {n}",
            "title": "Ban hành kế hoạch",
            "due": "2026-02-02",
            "days_overdue": 1500,
        }
        for n in range(1234)
    ]
    payload = {"years": [2026], "groups": [{"parent_code": "", "parent_name": None, "rows": rows}]}
    mail = render_digest(
        to="skhcn@example.org", to_name=None, cc=[], payload=payload, as_of=date(2026, 11, 24),
        settings=settings,
    )  # fmt: skip
    assert "năm 2026 có 1.234 việc ISO quá hạn của 1.234 đơn vị" in mail.subject
    assert "1.234 việc quá hạn của 1.234 đơn vị" in mail.text
    assert "quá hạn 1.500 ngày" in mail.text and "1234" not in mail.text
    assert "<strong>1.234</strong>" in mail.html


def test_the_cli_table_writes_decimals_with_a_comma(cli, province):
    ok = cli("cycle", "open", "2022")
    assert ok.exit_code == 0, ok.output
    assert (
        cli(
            "objectives", "decision", "SNGV", "2022", "--ref", "41/QĐ-SNgV", "--on", "24/01/2022"
        ).exit_code
        == 0
    )
    added = cli(
        "objectives", "add", "SNGV", "2022", "--indicator", "Hồ sơ đúng hạn", "--cmp", ">=",
        "--target", "98,5", "--unit", "%",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    table = cli("objectives", "list", "SNGV", "2022").stdout
    assert "≥ 98,5 %" in table and "98.5" not in table


def test_the_xlsx_groups_thousands_in_the_reader_s_format():
    wb = Workbook(write_only=True)
    sheet = _Sheet(wb, "Tổng hợp", ["Bước", "Số"], [20, 10])
    sheet.append(["Đơn vị quá hạn", 12345])
    sheet.append(["Kinh phí", 10000000.5])
    sheet.append(["Số nhỏ", 45])
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws["B2"].value == 12345 and ws["B2"].number_format == XLSX_INTEGER
    assert ws["B3"].number_format == "#,##0.##"
    assert ws["B4"].value == 45  # General: Excel writes it in the reader's locale already
