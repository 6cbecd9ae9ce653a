"""Documents and their versions, TTHC figures, the dossier file import and legal-change updates."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from models import iso
from models.calendar import load_rule_set
from models.cycles import find_step
from models.iso import DOSSIER_STATS, HISTORY_TABLE
from models.periods import Period, annual

TODAY = date(2026, 11, 24)
P2026 = annual(2026)  # 15/12/2025 → 14/12/2026
HEADER = [
    "STT",
    "Mã đơn vị",
    "Tên đơn vị",
    "Số hồ sơ tiếp nhận",
    "Trước hạn",
    "Đúng hạn",
    "Quá hạn",
    "Đang giải quyết",
    "Gắn kèm kết quả",
]


def xlsx(rows, header=HEADER, title=True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ"])
        sheet.append([])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, sep=";") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(c) for c in r) for r in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def stats_count(session) -> int:
    return session.execute(select(func.count()).select_from(DOSSIER_STATS)).scalar_one()


def do_import(session, name, data, period=P2026):
    return iso.import_dossier_stats(session=session, name=name, data=data, period=period, actor="t")


# --- the dossier file ---------------------------------------------------------------------------


def test_an_xlsx_export_with_a_title_row_imports_early_and_on_time_together(session, province):
    data = xlsx(
        [
            [1, "SNGV", "Sở Ngoại vụ", 73, 10, 63, 0, 0, 73],
            [2, "SCT", "Sở Công Thương", 9852, 0, 9850, 2, 0, 9800],
            [None, None, "Tổng cộng", 9925, 10, 9913, 2, 0, 9873],
        ]
    )
    result = do_import(session, "dvc.xlsx", data)
    assert (result.rows, result.replaced) == (2, 0)
    got = iso.get_dossier_stats(session=session, agency_code="SNGV", period=P2026)
    assert (got["received"], got["on_time"], got["late"], got["with_results"]) == (73, 73, 0, 73)
    assert (got["period_start"], got["period_end"]) == (P2026.start, P2026.end)
    # Importing again replaces, with a history line giving the old figures.
    do_import(session, "dvc.xlsx", xlsx([[1, "SNGV", "", 80, 0, 80, 0, 0, 80]]))
    assert (
        iso.get_dossier_stats(session=session, agency_code="SNGV", period=P2026)["received"] == 80
    )
    h = HISTORY_TABLE.c
    olds = session.execute(select(h.old).where(h.entity == "dossier_stats")).scalars().all()
    assert [o["received"] for o in olds if o] == [73]


def test_a_semicolon_csv_imports_too(session, province):
    do_import(session, "dvc.csv", csv_bytes([[1, "SCT", "Sở Công Thương", 5, 0, 4, 0, 1, 5]]))
    got = iso.get_dossier_stats(session=session, agency_code="SCT", period=P2026)
    assert (got["received"], got["on_time"], got["pending"]) == (5, 4, 1)


def test_a_bad_file_is_refused_whole_naming_each_row_and_column(session, province):
    iso.set_dossier_stats(
        session=session,
        agency_code="SCT",
        period=P2026,
        received=1,
        on_time=1,
        late=0,
        with_results=1,
        actor="t",
    )
    before = stats_count(session)
    rows = [
        [1, "SNGV", "", 10, 0, 10, 0, 0, 10],  # fine
        [2, "KHONGCO", "", 1, 0, 1, 0, 0, 1],  # unknown agency
        [3, "SCT", "", -3, 0, 0, 0, 0, 0],  # negative
        [4, "SCT", "", 10, 0, 5, 1, 0, 10],  # does not add up
        [5, "SNGV", "", 5, 0, 5, 0, 0, 9],  # results above received
        [6, "SCT", "", "=1+1", 0, 2, 0, 0, 2],  # a formula Excel never computed: no value
    ]
    with pytest.raises(iso.IsoError) as caught:
        do_import(session, "dvc.xlsx", xlsx(rows))
    messages = [e.message for e in caught.value.errors]
    assert any(
        m.startswith("Dòng 5, cột «Mã đơn vị»: không có đơn vị mã «KHONGCO»") for m in messages
    )
    assert any(m.startswith("Dòng 6, cột «Số hồ sơ tiếp nhận»:") and "số âm" in m for m in messages)
    assert any(
        m.startswith("Dòng 7, cột «Số hồ sơ tiếp nhận»:") and "không bằng" in m for m in messages
    )
    assert any(m.startswith("Dòng 8, cột «Gắn kèm kết quả»:") for m in messages)
    assert any(
        m.startswith("Dòng 9, cột «Số hồ sơ tiếp nhận»:") and "chưa nhập" in m for m in messages
    )
    assert not any(m.startswith("Dòng 4,") for m in messages)
    assert stats_count(session) == before  # nothing written, not even the good row
    assert iso.get_dossier_stats(session=session, agency_code="SNGV", period=P2026) is None


@pytest.mark.parametrize(
    ("start", "end", "column", "needle"),
    [
        ("14/12/2025", "14/12/2026", "Từ ngày", "nằm ngoài kỳ báo cáo"),  # the day before 15/12
        ("15/12/2025", "15/12/2026", "Đến ngày", "nằm ngoài kỳ báo cáo"),  # the day after 14/12
        ("29/02/2026", "14/12/2026", "Từ ngày", "không phải ngày có thật"),  # 2026 is no leap year
    ],
)
def test_a_date_outside_the_period_or_impossible_is_refused(
    session, province, start, end, column, needle
):
    header = [*HEADER, "Từ ngày", "Đến ngày"]
    data = csv_bytes([[1, "SNGV", "", 3, 0, 3, 0, 0, 3, start, end]], header=header)
    with pytest.raises(iso.IsoError) as caught:
        do_import(session, "dvc.csv", data)
    assert caught.value.errors[0].message.startswith(f"Dòng 2, cột «{column}»:")
    assert needle in str(caught.value)
    assert stats_count(session) == 0


def test_dates_at_both_edges_of_a_leap_year_period_are_accepted(session, province):
    period = Period(date(2023, 12, 15), date(2024, 12, 14))
    header = [*HEADER, "Từ ngày", "Đến ngày"]
    data = csv_bytes([[1, "SNGV", "", 3, 0, 3, 0, 0, 3, "29/02/2024", "14/12/2024"]], header=header)
    do_import(session, "dvc.csv", data, period)
    got = iso.get_dossier_stats(session=session, agency_code="SNGV", period=period)
    assert (got["period_start"], got["period_end"]) == (date(2024, 2, 29), date(2024, 12, 14))


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("dvc.xlsx", b"PK\x03\x04 not really a zip", "không phải tệp Excel .xlsx hợp lệ"),
        ("dvc.xls", b"\xd0\xcf\x11\xe0", "không nhận loại tệp «.xls»"),
        ("dvc.csv", "Tên;Tiếp nhận\nX;1\n".encode(), "không thấy dòng tiêu đề"),
        (
            "dvc.csv",
            b"M\xe3 \xf0\xf5n v\xf2;T\xean\n",
            "không phải văn bản UTF-8",
        ),
        ("dvc.csv", b"", "rỗng"),
        ("dvc.csv", "Mã đơn vị;Tiếp nhận\nSNGV;1\n".encode(), "thiếu cột «Đúng hạn»"),
        (
            "dvc.csv",
            "Mã đơn vị;Tiếp nhận;Đúng hạn;Quá hạn;Gắn kèm kết quả\n".encode(),
            "không có dòng số liệu",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_a_vietnamese_message(
    session, province, name, data, needle
):
    with pytest.raises(iso.IsoError) as caught:
        do_import(session, name, data)
    assert needle in str(caught.value)
    assert caught.value.errors[0].field == "file"


def test_a_zip_bomb_is_refused_before_it_is_opened(session, province):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (iso.dossiers.MAX_UNZIPPED_BYTES + 1))
    with pytest.raises(iso.IsoError, match="giải nén ra quá lớn"):
        do_import(session, "dvc.xlsx", out.getvalue())


def test_a_hostile_agency_code_or_formula_is_refused_not_stored(session, province):
    data = csv_bytes(
        [[1, "<script>\x07", "", 1, 0, 1, 0, 0, 1], [2, "SCT", "", "=HYPERLINK(1)", 0, 1, 0, 0, 1]]
    )
    with pytest.raises(iso.IsoError) as caught:
        do_import(session, "dvc.csv", data)
    assert caught.value.errors[0].message.startswith("Dòng 2, cột «Mã đơn vị»:")
    assert caught.value.errors[1].message.startswith("Dòng 3, cột «Số hồ sơ tiếp nhận»:")
    assert "công thức" in caught.value.errors[1].message
    assert stats_count(session) == 0


def test_the_import_refuses_agencies_the_caller_may_not_change(session, province):
    sngv = iso.get_agency(session, "SNGV")
    data = csv_bytes([[1, "SNGV", "", 1, 0, 1, 0, 0, 1], [2, "SCT", "", 1, 0, 1, 0, 0, 1]])
    with pytest.raises(iso.IsoError) as caught:
        iso.import_dossier_stats(
            session=session,
            name="d.csv",
            data=data,
            period=P2026,
            actor="t",
            may_write=lambda i: i == sngv.id,
        )
    assert [e.message[:8] for e in caught.value.errors] == ["Dòng 3, "]
    assert stats_count(session) == 0


def test_hand_entry_refuses_sums_that_do_not_add_up(session, province):
    with pytest.raises(iso.IsoError, match="không bằng"):
        iso.set_dossier_stats(
            session=session,
            agency_code="SNGV",
            period=P2026,
            received=10,
            on_time=5,
            late=1,
            with_results=3,
            actor="t",
        )
    with pytest.raises(iso.IsoError, match="số âm"):
        iso.set_dossier_stats(
            session=session,
            agency_code="SNGV",
            period=P2026,
            received=-1,
            on_time=0,
            late=0,
            with_results=0,
            actor="t",
        )
    assert stats_count(session) == 0


# --- documents and TTHC figures -----------------------------------------------------------------


def issue(session, code="QT-01", decided=date(2026, 3, 2), ref="10/QĐ-SNgV", kind="QTNB", **kw):
    return iso.issue_procedure(
        session=session,
        agency_code="SNGV",
        kind=kind,
        code=code,
        title="Quy trình cấp thị thực",
        decision_ref=ref,
        decision_on=decided,
        actor="t",
        today=TODAY,
        **kw,
    )


def test_a_new_version_is_a_new_row_and_counts_follow_the_dates(session, province):
    issue(session)
    issue(session, code="HD-01", kind="HDHT")
    issue(session, ref="40/QĐ-SNgV", decided=date(2026, 9, 1))
    every = iso.list_procedures(session=session, agency_code="SNGV", history=True)
    assert [(p["code"], p["version"]) for p in every] == [("HD-01", 1), ("QT-01", 1), ("QT-01", 2)]
    in_may = iso.list_procedures(session=session, agency_code="SNGV", on=date(2026, 5, 1))
    assert {p["code"]: p["version"] for p in in_may} == {"HD-01": 1, "QT-01": 1}
    assert iso.procedure_counts(session=session, agency_code="SNGV", on=date(2026, 3, 1)) == {
        "guideline": 0,
        "internal": 0,
        "tthc": 0,
    }
    iso.abolish_procedure(
        session=session,
        agency_code="SNGV",
        code="HD-01",
        abolished_on=date(2026, 10, 1),
        abolished_ref="50/QĐ-SNgV",
        actor="t",
        today=TODAY,
    )
    assert iso.procedure_counts(session=session, agency_code="SNGV", on=date(2026, 9, 30)) == {
        "guideline": 1,
        "internal": 1,
        "tthc": 0,
    }
    assert iso.procedure_counts(session=session, agency_code="SNGV", on=date(2026, 10, 1)) == {
        "guideline": 0,
        "internal": 1,
        "tthc": 0,
    }


def test_a_version_cannot_go_back_or_change_kind(session, province):
    issue(session)
    with pytest.raises(iso.IsoError, match="trước ngày ban hành lần trước"):
        issue(session, decided=date(2026, 1, 5))
    with pytest.raises(iso.IsoError, match="quy trình nội bộ"):
        issue(session, kind="tthc")
    with pytest.raises(iso.IsoError, match="tương lai"):
        issue(session, decided=date(2026, 11, 25))
    with pytest.raises(iso.IsoError, match="Loại tài liệu «sổ tay» không có"):
        issue(session, kind="sổ tay")


def test_tthc_figures_are_checked_and_corrected_with_history(session, province):
    with pytest.raises(iso.IsoError, match="vượt tổng số"):
        iso.set_tthc_figures(
            session=session,
            agency_code="SNGV",
            period=P2026,
            total=3,
            amended=4,
            new=0,
            abolished=0,
            actor="t",
        )
    iso.set_tthc_figures(
        session=session,
        agency_code="SNGV",
        period=P2026,
        total=5,
        amended=4,
        new=0,
        abolished=4,
        actor="t",
    )
    iso.set_tthc_figures(
        session=session,
        agency_code="SNGV",
        period=P2026,
        total=6,
        amended=4,
        new=1,
        abolished=4,
        actor="t",
    )
    got = iso.get_tthc_figures(session=session, agency_code="SNGV", period=P2026)
    assert (got["total"], got["new"]) == (6, 1)
    h = HISTORY_TABLE.c
    rows = session.execute(
        select(h.action, h.old).where(h.entity == "tthc_figures").order_by(h.at)
    ).all()
    assert [(a, (o or {}).get("total")) for a, o in rows] == [("recorded", None), ("updated", 5)]


# --- legal changes ------------------------------------------------------------------------------


def legal_change(session, effective=date(2026, 1, 1), number="15/2025/TT-BNG"):
    rules = iso.load_iso_rules()
    return iso.record_event(
        session=session,
        kind="legal_change",
        number=number,
        effective_on=effective,
        agency_codes=["SNGV"],
        actor="t",
        rules=rules,
        working=load_rule_set().working,
    )


def test_a_legal_change_is_done_when_the_new_versions_are_issued(session, province, opened_2026):
    issue(session, code="QT-01", decided=date(2025, 6, 1))
    issue(session, code="QT-02", decided=date(2025, 6, 1))
    # Law in force 1/1/2026 (a holiday): due 1/4/2026, 3 months from the effective date.
    result = legal_change(session)
    assert result.due == date(2026, 4, 1)
    out = iso.name_affected_procedures(
        session=session,
        event_number="15/2025/TT-BNG",
        agency_code="SNGV",
        codes=["QT-01", "QT-02"],
        publication_ref="512/QĐ-UBND",
        published_on=date(2026, 3, 20),
        actor="t",
        today=TODAY,
    )
    # The province published the TTHC 78 days after the law took effect; the deadline stays.
    assert (out["lag_days"], out["due"], out["state"]) == (78, date(2026, 4, 1), "open")
    issue(session, code="QT-01", ref="30/QĐ-SNgV", decided=date(2026, 4, 10))
    step = find_step(
        session=session, agency_code="SNGV", year=2026, key="procedure_update:15/2025/TT-BNG"
    )
    assert step.state == "open"  # QT-02 has no new version yet
    issue(session, code="QT-02", ref="31/QĐ-SNgV", decided=date(2026, 4, 15))
    session.refresh(step)
    assert (step.state, step.done_on, step.ref) == ("done", date(2026, 4, 15), "31/QĐ-SNgV")
    shown = iso.procedure_update(session=session, event_number="15/2025/TT-BNG", agency_code="SNGV")
    assert [(p["code"], p["from_version"], p["new_version"]) for p in shown["procedures"]] == [
        ("QT-01", 1, 2),
        ("QT-02", 1, 2),
    ]
    assert (shown["effective_on"], shown["published_on"]) == (date(2026, 1, 1), date(2026, 3, 20))


def test_naming_refuses_unknown_procedures_and_unaffected_agencies(session, province, opened_2026):
    issue(session)
    legal_change(session)
    with pytest.raises(iso.IsoError, match="không có tài liệu mã «QT-99»"):
        iso.name_affected_procedures(
            session=session,
            event_number="15/2025/TT-BNG",
            agency_code="SNGV",
            codes=["QT-01", "QT-99"],
            actor="t",
            today=TODAY,
        )
    with pytest.raises(iso.IsoError, match="không tác động đến đơn vị SCT"):
        iso.name_affected_procedures(
            session=session,
            event_number="15/2025/TT-BNG",
            agency_code="SCT",
            codes=["QT-01"],
            actor="t",
            today=TODAY,
        )
    with pytest.raises(iso.IsoError, match="cần cả số và ngày"):
        iso.name_affected_procedures(
            session=session,
            event_number="15/2025/TT-BNG",
            agency_code="SNGV",
            codes=["QT-01"],
            publication_ref="1/QĐ-UBND",
            actor="t",
            today=TODAY,
        )


# --- CLI ----------------------------------------------------------------------------------------


def test_the_cli_imports_a_file_and_refuses_a_bad_one_naming_rows(session, province, cli, tmp_path):
    good = tmp_path / "dvc.xlsx"
    good.write_bytes(xlsx([[1, "SNGV", "", 7, 0, 7, 0, 0, 7]]))
    result = cli("procedures", "import-dossiers", str(good), "--period", "2026", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "rows": 1,
        "replaced": 0,
        "period": "2025-12-15..2026-12-14",
    }
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([[1, "SNGV", "", 7, 0, 6, 0, 0, 7]]))
    result = cli("procedures", "import-dossiers", str(bad), "--period", "2026")
    assert result.exit_code == 1
    assert "Dòng 2, cột «Số hồ sơ tiếp nhận»" in result.stderr
    shown = json.loads(cli("procedures", "dossiers", "SNGV", "2026", "--json").stdout)
    assert shown["received"] == 7


def test_the_cli_names_affected_procedures_and_shows_the_update(
    session, province, opened_2026, cli
):
    issue(session, code="QT-01", decided=date(2025, 6, 1))
    legal_change(session, effective=date(2026, 2, 29 - 1))  # 28/2/2026: + 3 months = 28/5
    result = cli(
        "procedures",
        "affects",
        "15/2025/TT-BNG",
        "SNGV",
        "--codes",
        "QT-01",
        "--publication",
        "512/QĐ-UBND",
        "--published",
        "20/3/2026",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["effective_on"], out["published_on"], out["due"], out["state"]) == (
        "2026-02-28",
        "2026-03-20",
        "2026-05-28",
        "open",
    )
    result = cli(
        "procedures",
        "add",
        "SNGV",
        "--kind",
        "QTNB",
        "--code",
        "QT-01",
        "--title",
        "Cấp thị thực",
        "--decision",
        "30/QĐ-SNgV",
        "--decided",
        "2026-05-29",
        "--today",
        "2026-11-24",
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(cli("procedures", "update", "15/2025/TT-BNG", "SNGV", "--json").stdout)
    # Done one day after the deadline: the step keeps its due date and records the decision.
    assert (out["state"], out["done_on"], out["ref"], out["due"]) == (
        "done",
        "2026-05-29",
        "30/QĐ-SNgV",
        "2026-05-28",
    )
    result = cli("procedures", "affects", "KHONGCO", "SNGV", "--codes", "QT-01")
    assert (
        result.exit_code == 1
        and "Chưa ghi nhận văn bản pháp luật thay đổi số «KHONGCO»" in result.stderr
    )


def test_versions_issued_before_the_naming_but_after_the_law_count(session, province, opened_2026):
    issue(session, code="QT-01", decided=date(2025, 6, 1))
    legal_change(session, effective=date(2025, 12, 31))  # due 31/3/2026
    # 31/12 → 1/1: a version dated the effective day counts; the naming comes later.
    issue(session, code="QT-01", ref="1/QĐ-SNgV", decided=date(2025, 12, 31))
    out = iso.name_affected_procedures(
        session=session,
        event_number="15/2025/TT-BNG",
        agency_code="SNGV",
        codes=["QT-01"],
        actor="t",
        today=TODAY,
    )
    assert (out["state"], out["done_on"], out["ref"]) == ("done", date(2025, 12, 31), "1/QĐ-SNgV")
    assert out["procedures"][0] == {
        "code": "QT-01",
        "from_version": 1,
        "new_version": 2,
        "decision_ref": "1/QĐ-SNgV",
        "decision_on": date(2025, 12, 31),
    }
