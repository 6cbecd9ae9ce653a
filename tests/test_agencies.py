"""Importing agencies: all or nothing, every problem listed by row and column."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from models.agencies import ImportFailed, import_agencies, list_agencies
from models.tables import Agency, HistoryEntry
from tests.conftest import HEADER, SMALL_PROVINCE, write_csv


def count(session) -> int:
    return session.execute(select(func.count()).select_from(Agency)).scalar_one()


def test_it_imports_a_csv_with_full_diacritics_and_a_tree(session, tmp_path):
    result = import_agencies(
        session=session, path=write_csv(tmp_path / "a.csv", HEADER, SMALL_PROVINCE)
    )
    assert (result.created, result.updated) == (6, 0)
    rows = {r["code"]: r for r in list_agencies(session=session)}
    assert rows["TTDVDN"]["parent_code"] == "SNGV"
    assert rows["SNGV"]["name"] == "Sở Ngoại vụ"
    assert rows["SNGV"]["secretary_email"] == "thuky.sngv@hatinh.example"
    assert rows["HATINH"]["parent_code"] is None


def test_it_reads_xlsx_with_vietnamese_headers(session, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Email thư ký"])
    ws.append(["HATINH", "UBND tỉnh Hà Tĩnh", "UBND tỉnh", None, None])
    ws.append(["SCT", "Sở Công Thương", "Sở", "HATINH", "thuky.sct@hatinh.example"])
    path = tmp_path / "agencies.xlsx"
    wb.save(path)
    import_agencies(session=session, path=path)
    rows = {r["code"]: r for r in list_agencies(session=session)}
    assert rows["SCT"]["kind"] == "so"
    assert rows["SCT"]["parent_code"] == "HATINH"


def test_it_updates_by_code_on_reimport(session, tmp_path):
    import_agencies(session=session, path=write_csv(tmp_path / "a.csv", HEADER, SMALL_PROVINCE))
    changed = [row[:] for row in SMALL_PROVINCE]
    changed[2][4] = "Trần Thị Mới"
    result = import_agencies(session=session, path=write_csv(tmp_path / "b.csv", HEADER, changed))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    session.expire_all()
    sngv = session.execute(select(Agency).where(Agency.code == "SNGV")).scalar_one()
    assert sngv.secretary_name == "Trần Thị Mới"
    assert count(session) == 6


def test_it_lists_every_problem_by_row_and_writes_nothing(session, tmp_path):
    bad = [
        ["HATINH", "UBND tỉnh Hà Tĩnh", "ubnd_tinh", "", "", "", "", ""],
        ["SNGV", "Sở Ngoại vụ", "so", "NOWHERE", "", "", "", ""],  # row 3: unknown parent
        ["SNGV", "Sở Ngoại vụ lần 2", "so", "HATINH", "", "", "", ""],  # row 4: duplicate code
        ["A", "Vòng A", "so", "B", "", "", "", ""],  # rows 5–6: a cycle
        ["B", "Vòng B", "so", "A", "", "", "", ""],
        ["SCT", "Sở Công Thương", "so", "HATINH", "", "not-an-email", "", ""],  # row 7
        ["SYT", "", "so", "HATINH", "", "", "", ""],  # row 8: empty name
        ["SXD", "Sở Xây dựng", "bộ", "HATINH", "", "", "", ""],  # row 9: unknown kind
        ["S X/../", "Mã có dấu cách", "so", "HATINH", "", "", "", ""],  # row 10: unusable code
    ]
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=write_csv(tmp_path / "bad.csv", HEADER, bad))
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {
        (3, "parent_code"),
        (4, "code"),
        (5, "parent_code"),
        (6, "parent_code"),
        (7, "secretary_email"),
        (8, "name"),
        (9, "kind"),
        (10, "code"),
    }
    assert count(session) == 0


def test_it_detects_a_cycle_through_agencies_already_stored(session, tmp_path):
    import_agencies(session=session, path=write_csv(tmp_path / "a.csv", HEADER, SMALL_PROVINCE))
    # HATINH now under TTDVDN, which is under SNGV under HATINH.
    moved = [["HATINH", "UBND tỉnh Hà Tĩnh", "ubnd_tinh", "TTDVDN", "", "", "", ""]]
    with pytest.raises(ImportFailed, match="problem") as caught:
        import_agencies(session=session, path=write_csv(tmp_path / "b.csv", HEADER, moved))
    assert [(p.row, p.field) for p in caught.value.problems] == [(2, "parent_code")]
    session.expire_all()
    assert (
        session.execute(select(Agency.parent_id).where(Agency.code == "HATINH")).scalar_one()
        is None
    )


def test_it_refuses_a_file_missing_a_required_column(session, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["code", "name"], [["X", "Y"]])
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=path)
    assert [(p.row, p.field) for p in caught.value.problems] == [(1, "kind")]


def test_it_refuses_a_file_that_is_not_utf8_or_not_xlsx(session, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name,kind\nX,S\xf4,so\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match="problem") as caught:
        import_agencies(session=session, path=latin)
    assert "UTF-8" in caught.value.problems[0].message
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ImportFailed):
        import_agencies(session=session, path=broken)


def test_it_stores_hostile_strings_as_text(session, tmp_path):
    rows = [["XSS", "<script>alert(1)</script>'; DROP TABLE agency;--", "so", "", "", "", "", ""]]
    import_agencies(session=session, path=write_csv(tmp_path / "a.csv", HEADER, rows))
    assert (
        list_agencies(session=session)[0]["name"]
        == "<script>alert(1)</script>'; DROP TABLE agency;--"
    )


def test_it_prints_the_agency_list_as_json(cli, province):
    result = cli("agencies", "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    sngv = next(d for d in data if d["code"] == "SNGV")
    assert {k: sngv[k] for k in ("code", "name", "kind", "parent_code", "active")} == {
        "code": "SNGV",
        "name": "Sở Ngoại vụ",
        "kind": "so",
        "parent_code": "HATINH",
        "active": True,
    }


def test_the_import_command_exits_non_zero_listing_rows(cli, tmp_path: Path):
    path = write_csv(tmp_path / "bad.csv", HEADER, [["X", "", "so", "", "", "", "", ""]])
    result = cli("agencies", "import", str(path))
    assert result.exit_code == 1
    assert "bad.csv: dòng 2, cột «name»: không được để trống" in result.stderr
    assert "nothing was written" in result.stderr
    assert json.loads(cli("agencies", "list", "--json").stdout) == []


def test_a_file_of_some_columns_changes_only_those(session, tmp_path):
    """Re-importing codes and names must not clear contacts, reopen a closed agency or move it."""
    header = HEADER + ["active", "valid_to"]
    rows = [row + ["1", ""] for row in SMALL_PROVINCE]
    rows.append(
        [
            "XTHUANLOC",
            "UBND xã Thuận Lộc",
            "ubnd_xa",
            "HATINH",
            "Lê Văn A",
            "a@hatinh.example",
            "",
            "",
            "0",
            "2025-06-30",
        ]
    )
    import_agencies(session=session, path=write_csv(tmp_path / "a.csv", header, rows))
    renamed = [["XTHUANLOC", "UBND xã Thuận Lộc (cũ)", "ubnd_xa"], ["SNGV", "Sở Ngoại vụ", "so"]]
    result = import_agencies(
        session=session,
        path=write_csv(tmp_path / "b.csv", ["code", "name", "kind"], renamed),
        actor="skhcn",
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    rows_now = {r["code"]: r for r in list_agencies(session=session)}
    old = rows_now["XTHUANLOC"]
    assert (
        old["name"],
        old["active"],
        old["valid_to"],
        old["secretary_email"],
        old["parent_code"],
    ) == ("UBND xã Thuận Lộc (cũ)", False, date(2025, 6, 30), "a@hatinh.example", "HATINH")
    assert rows_now["SNGV"]["parent_code"] == "HATINH"


def test_every_import_change_is_in_the_history(session, tmp_path):
    import_agencies(
        session=session, path=write_csv(tmp_path / "a.csv", HEADER, SMALL_PROVINCE), actor="skhcn"
    )
    changed = [row[:] for row in SMALL_PROVINCE]
    changed[2][4] = "Trần Thị Mới"
    import_agencies(
        session=session, path=write_csv(tmp_path / "b.csv", HEADER, changed), actor="skhcn"
    )
    entries = (
        session.execute(
            select(HistoryEntry)
            .where(HistoryEntry.entity == "agency", HistoryEntry.entity_id == "SNGV")
            .order_by(HistoryEntry.at)
        )
        .scalars()
        .all()
    )
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[1].old == {"secretary_name": "Nguyễn Thị Hà"}
    assert entries[1].new == {"secretary_name": "Trần Thị Mới"}
    assert entries[1].actor == "skhcn"


def test_broken_files_are_refused_with_a_message(session, tmp_path):
    # A real zip whose sheet XML is cut short.
    from zipfile import ZipFile

    wb = Workbook()
    wb.active.append(["code", "name", "kind"])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    cut = tmp_path / "cut.xlsx"
    with ZipFile(good) as src, ZipFile(cut, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(
                item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data
            )
    with pytest.raises(ImportFailed, match="problem") as caught:
        import_agencies(session=session, path=cut)
    assert "không đọc được tệp .xlsx" in caught.value.problems[0].message
    huge = tmp_path / "huge.csv"
    huge.write_text("code,name,kind\nX," + "a" * 200_000 + ",so\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=huge)
    assert caught.value.problems[0].row == 2
    assert count(session) == 0


# --- what Excel writes in a Vietnamese locale ----------------------------------------------------

VN_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên"]
VN_ROWS = [
    ["HATINH", "UBND tỉnh Hà Tĩnh", "UBND tỉnh", ""],
    ["SNGV", "Sở Ngoại vụ", "Sở, ngành", "HATINH"],
    ["SCT", "Sở Công Thương", "so nganh", "HATINH"],
    ["UB18073", "UBND Phường Thành Sen", "UBND xã, phường", "HATINH"],
    ["TTDVDN", "Trung tâm Dịch thuật", "TRUNG TÂM", "SNGV"],
    ["VP", "Văn phòng UBND tỉnh", "van_phong", "HATINH"],
]


def _excel_csv(path: Path, header, rows, sep: str, encoding: str = "utf-8-sig") -> Path:
    text = "\r\n".join(sep.join(cells) for cells in [header, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("sep", "encoding"), [(";", "utf-8-sig"), (";", "utf-8"), ("\t", "utf-16"), (",", "utf-8-sig")]
)
def test_it_reads_what_excel_writes_with_the_site_labels_for_kinds(
    session, tmp_path, sep, encoding
):
    # Excel in a Vietnamese locale separates with ";" (a BOM first); "Unicode Text" is UTF-16 + tab.
    rows = [[c.replace(",", "") if sep == "," else c for c in r] for r in VN_ROWS]
    path = _excel_csv(tmp_path / "donvi.csv", VN_HEADER, rows, sep, encoding)
    result = import_agencies(session=session, path=path)
    assert result.created == 6
    kinds = {r["code"]: r["kind"] for r in list_agencies(session=session)}
    assert kinds == {
        "HATINH": "ubnd_tinh",
        "SNGV": "so",
        "SCT": "so",
        "UB18073": "ubnd_xa",
        "TTDVDN": "trung_tam",
        "VP": "van_phong",
    }


def test_an_unknown_kind_is_named_by_the_files_column_and_lists_the_site_labels(session, tmp_path):
    rows = [["HATINH", "UBND tỉnh Hà Tĩnh", "Bộ", ""], ["SNGV", "", "Sở, ngành", "HATINH"]]
    path = _excel_csv(tmp_path / "donvi.csv", VN_HEADER, rows, ";")
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=path)
    shown = [str(p) for p in caught.value.problems]
    assert shown == [
        "dòng 2, cột «Loại đơn vị»: không có loại đơn vị «Bộ»; dùng một trong: «Sở, ngành», "
        "«Chi cục», «UBND tỉnh», «Văn phòng», «UBND xã, phường», «Phòng», «Trung tâm», "
        "«Đơn vị sự nghiệp», «UBND huyện»",
        "dòng 3, cột «Tên đơn vị»: không được để trống",
    ]
    assert "_" not in " ".join(shown)
    assert [p.field for p in caught.value.problems] == ["kind", "name"]


def test_a_missing_column_is_said_once_with_the_header_the_file_has(session, tmp_path):
    path = _excel_csv(tmp_path / "donvi.csv", ["Mã đơn vị", "Tên"], [["X", "Y"]], ";")
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=path)
    assert [str(p) for p in caught.value.problems] == [
        "dòng 1: thiếu cột bắt buộc «Loại đơn vị» (hoặc «kind»); dòng tiêu đề có: «Mã đơn vị», «Tên»"
    ]


def test_a_legacy_code_page_is_refused_naming_the_encoding(session, tmp_path):
    # "Mã đơn vị;Tên đơn vị;Loại đơn vị" and a row as Excel writes them in Windows-1258.
    path = tmp_path / "donvi.csv"
    path.write_bytes(
        b"Ma\xde \xf0\xf5n vi\xf2;T\xean \xf0\xf5n vi\xf2;Loa\xf2i \xf0\xf5n vi\xf2\r\n"
        b"SNGV;S\xf5\xd2 Ngoa\xf2i vu\xf2;S\xf5\xd2, ng\xe0nh\r\n"
    )
    with pytest.raises(ImportFailed) as caught:
        import_agencies(session=session, path=path)
    (problem,) = caught.value.problems
    assert "không phải văn bản UTF-8" in problem.message and "Windows-1258" in problem.message
    assert "CSV UTF-8" in problem.message and str(problem).startswith("tệp: ")
    assert count(session) == 0
