"""Dates read from files and options: a two-digit year or a year outside 1900–2100 is refused,
naming the row, instead of being stored as year 26 (an agency that silently gets no steps)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from models.agencies import ImportFailed, import_agencies, list_agencies
from tests.conftest import HEADER, SMALL_PROVINCE, write_csv

DATED = [*HEADER, "valid_from", "valid_to"]


def _province(valid_to: str) -> list[list[str]]:
    rows = [[*r, "", ""] for r in SMALL_PROVINCE]
    rows[2][-1] = valid_to  # SNGV, row 4 of the file
    return rows


@pytest.mark.parametrize(
    "text", ["31/12/26", "0026-12-31", "31/12/0026", "31/12/1899", "01/01/2101", "2101-01-01"]
)
def test_an_import_refuses_a_year_outside_1900_2100_naming_the_row(session, tmp_path, text):
    path = write_csv(tmp_path / "agencies.csv", DATED, _province(text))
    with pytest.raises(ImportFailed) as failed:
        import_agencies(session=session, path=path)
    (problem,) = failed.value.problems
    assert (problem.row, problem.field) == (4, "valid_to")
    assert "1900–2100" in str(problem) and "dòng 4" in str(problem)
    assert list_agencies(session=session) == []  # nothing written


@pytest.mark.parametrize(("text", "year"), [("31/12/1900", 1900), ("31/12/2100", 2100)])
def test_an_import_takes_the_edge_years(session, tmp_path, text, year):
    path = write_csv(tmp_path / "agencies.csv", DATED, _province(text))
    import_agencies(session=session, path=path)
    sngv = next(a for a in list_agencies(session=session) if a["code"] == "SNGV")
    assert sngv["valid_to"].year == year


def test_an_xlsx_date_cell_of_year_26_is_refused(session, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(DATED)
    for row in _province(""):
        sheet.append(row)
    sheet.cell(row=4, column=len(DATED)).value = datetime(26, 12, 31)
    book.save(tmp_path / "agencies.xlsx")
    with pytest.raises(ImportFailed) as failed:
        import_agencies(session=session, path=tmp_path / "agencies.xlsx")
    assert [(p.row, p.field) for p in failed.value.problems] == [(4, "valid_to")]


def test_the_import_command_names_the_row_of_a_two_digit_year(cli, tmp_path: Path):
    path = write_csv(tmp_path / "agencies.csv", DATED, _province("31/12/26"))
    result = cli("agencies", "import", str(path))
    assert result.exit_code == 1
    assert "dòng 4" in result.stderr and "31/12/26" in result.stderr
    assert "nothing was written" in result.stderr


def test_the_api_refuses_a_year_26(session, tmp_path):
    from models.agencies import FIELDS, upsert_agencies

    cells = dict.fromkeys(FIELDS, "") | {"code": "X", "name": "X", "kind": "so"}
    cells["valid_from"] = "0026-01-01"  # what the API passes for {"valid_from": "0026-01-01"}
    with pytest.raises(ImportFailed) as failed:
        upsert_agencies(session=session, header=list(FIELDS), data=[[cells[f] for f in FIELDS]])
    assert [p.field for p in failed.value.problems] == ["valid_from"]


@pytest.mark.parametrize("on", ["0026-01-19", "19/01/0026", "2101-01-19"])
def test_a_command_refuses_a_date_outside_1900_2100(cli, opened_2026, on):
    result = cli("done", "SNGV", "2026", "plan", "--on", on, "--ref", "1/KH")
    assert result.exit_code == 1
    assert "--on" in result.stderr and "1900" in result.stderr
