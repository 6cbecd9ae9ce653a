"""The seeds' TTHC, dossier and internal-procedure figures, read back through the CLI and API
exactly as the seeds state them (seed 001 Sở Ngoại vụ 2021, 002 Sở Công Thương 2021, 003 xã
Thuận Lộc 2022)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from models.demo import load_demo
from models.users import create_user, issue_token
from tests.web_support import bearer

TODAY = date(2026, 11, 24)


@pytest.fixture
def demo(session, rules):
    return load_demo(session=session, rules=rules, today=TODAY)


def cli_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_figures_read_back_through_the_cli(demo, cli):
    # Seed 001: "Số TTHC thuộc thẩm quyền giải quyết ... đến thời điểm báo cáo: 05 thủ tục."
    # "Số TTHC được sửa đổi, bổ sung 4 thủ tục; ban hành mới: 0 thủ tục; bãi bỏ: 04 thủ tục".
    tthc = cli_json(cli, "procedures", "tthc", "SNGV", "2021")
    assert (tthc["total"], tthc["amended"], tthc["new"], tthc["abolished"]) == (5, 4, 0, 4)
    # Seed 001: "Số hồ sơ TTHC phát sinh năm 2021 (tính từ 15/12/2020 đến 15/11/2021): 73 (hồ
    # sơ); số hồ sơ giải quyết quá hạn: 0 hồ sơ." "... gắn kèm kết quả ...: 73 hồ sơ."
    d = cli_json(cli, "procedures", "dossiers", "SNGV", "2021")
    assert (d["period_start"], d["period_end"]) == ("2020-12-15", "2021-11-15")
    assert (d["received"], d["late"], d["with_results"]) == (73, 0, 73)
    # Seed 001: "Tổng số 14 quy trình được ban hành theo Quyết định số 31/QĐ-SNgV ngày 25/9/2021".
    inv = cli_json(cli, "procedures", "list", "SNGV", "--on", "2021-12-14")
    assert inv["counts"]["internal"] == 14
    assert {p["decision_ref"] for p in inv["procedures"]} == {"31/QĐ-SNgV"}
    assert {p["decision_on"] for p in inv["procedures"]} == {"2021-09-25"}
    # Before 25/9/2021 none of them was issued yet.
    assert (
        cli_json(cli, "procedures", "list", "SNGV", "--on", "2021-09-24")["counts"]["internal"] == 0
    )

    # Seed 002: "... là 96 TTHC"; "Năm 2021 có 08 TTHC được sửa đổi, bổ sung; không có TTHC ban
    # hành mới, bãi bỏ."
    tthc = cli_json(cli, "procedures", "tthc", "SCT", "2021")
    assert (tthc["total"], tthc["amended"], tthc["new"], tthc["abolished"]) == (96, 8, 0, 0)
    assert "1970/QĐ-UBND ngày 05/5/2021" in tthc["decisions"]
    # Seed 002: "Số hồ sơ TTHC phát sinh năm 2021 đến thời điểm ngày 19/11/2021: 9852 hồ sơ; Số hồ
    # sơ giải quyết quá hạn: không. 100% hồ sơ được gắn kèm kết quả".
    d = cli_json(cli, "procedures", "dossiers", "SCT", "2021")
    assert (d["period_end"], d["received"], d["late"], d["with_results"]) == (
        "2021-11-19",
        9852,
        0,
        9852,
    )
    # Seed 002: "Số Quy trình nội bộ được xây dựng: 02 quy trình. - Quyết định ban hành: số
    # 154/QĐ-SCT ngày 24/7/2018."
    inv = cli_json(cli, "procedures", "list", "SCT")
    assert inv["counts"] == {"guideline": 0, "internal": 2, "tthc": 0}

    # Seed 003: "Tiếp nhận và giải quyết: 2137 hồ sơ, đúng hạn: 100%, quá hạn: 0"; "Số hồ sơ được
    # gắn kèm kết quả trả trên phần mềm dịch vụ công trực tuyến: 2137".
    d = cli_json(cli, "procedures", "dossiers", "XTHUANLOC", "2022")
    assert (d["received"], d["on_time"], d["late"], d["with_results"]) == (2137, 2137, 0, 2137)
    # Seed 003 (Phụ lục 1 and section 9): "11 quy trình, được ban hành theo Quyết định số:
    # 865/QĐ-UBND" (no date given, so none is stored).
    inv = cli_json(cli, "procedures", "list", "XTHUANLOC")
    assert inv["counts"] == {"guideline": 0, "internal": 11, "tthc": 0}
    assert {(p["decision_ref"], p["decision_on"]) for p in inv["procedures"]} == {
        ("865/QĐ-UBND", None)
    }


def test_seed_figures_read_back_through_the_api(demo, session, client):
    admin = create_user(session=session, username="admin", password="mat-khau-2026", role="admin")
    headers = bearer(issue_token(session=session, user=admin))
    got = client.get("/api/v1/agencies/SNGV/periods/2021/figures", headers=headers).json()
    assert {k: got["tthc"][k] for k in ("total", "amended", "new", "abolished")} == {
        "total": 5,
        "amended": 4,
        "new": 0,
        "abolished": 4,
    }
    assert (got["dossiers"]["received"], got["dossiers"]["late"]) == (73, 0)
    assert got["dossiers"]["with_results"] == 73
    got = client.get("/api/v1/agencies/SCT/periods/2021/figures", headers=headers).json()
    assert (got["tthc"]["total"], got["tthc"]["amended"]) == (96, 8)
    assert (got["dossiers"]["received"], got["dossiers"]["late"]) == (9852, 0)
    got = client.get("/api/v1/agencies/XTHUANLOC/periods/2022/figures", headers=headers).json()
    assert (got["dossiers"]["received"], got["dossiers"]["with_results"]) == (2137, 2137)
    assert got["tthc"] is None  # seed 003 states no TTHC counts
    counts = {
        code: client.get(f"/api/v1/agencies/{code}/procedures", headers=headers).json()["counts"]
        for code in ("SNGV", "SCT", "XTHUANLOC")
    }
    assert {c: n["internal"] for c, n in counts.items()} == {"SNGV": 14, "SCT": 2, "XTHUANLOC": 11}


def test_seed_loader_adds_nothing_the_second_time(demo, session, rules):
    from models import iso
    from models.seed_demo import procedures

    again = procedures.load(
        session=session, rules=rules, iso_rules=iso.load_iso_rules(), today=TODAY
    )
    assert again == {"procedures": 0, "tthc_figures": 0, "dossier_stats": 0}
