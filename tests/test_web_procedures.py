"""The JSON API and pages for documents, TTHC figures, dossier statistics and their file import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.iso import DOSSIER_STATS, PROCEDURE
from tests.test_procedures import csv_bytes, xlsx
from tests.test_web_api import CASES, MATRIX
from tests.web_support import bearer, csrf_of, login

PROC = {
    "kind": "QTNB",
    "code": "QT-01",
    "title": "Cấp thị thực",
    "decision_ref": "10/QĐ-SNgV",
    "decision_on": "2026-03-02",
}
DOSSIERS = {"received": 73, "on_time": 73, "late": 0, "with_results": 73}


def count(session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_each_role_reads_and_writes_only_its_agencies(client, tokens, session, persona, code):
    can_read, can_write = (code in MATRIX[persona][0], code in MATRIX[persona][1])
    h = bearer(tokens[persona])
    reads = [
        client.get(f"/api/v1/agencies/{code}/procedures", headers=h).status_code,
        client.get(f"/api/v1/agencies/{code}/periods/2026/figures", headers=h).status_code,
    ]
    assert reads == ([200, 200] if can_read else [403, 403])
    writes = [
        client.post(f"/api/v1/agencies/{code}/procedures", json=PROC, headers=h).status_code,
        client.put(
            f"/api/v1/agencies/{code}/periods/2026/dossiers", json=DOSSIERS, headers=h
        ).status_code,
        client.put(
            f"/api/v1/agencies/{code}/periods/2026/tthc",
            json={"total": 5, "amended": 4, "abolished": 4},
            headers=h,
        ).status_code,
    ]
    assert writes == ([201, 200, 200] if can_write else [403, 403, 403])
    assert count(session, PROCEDURE) == (1 if can_write else 0)


def test_the_api_reads_back_what_it_wrote(client, tokens):
    h = bearer(tokens["sec_sngv"])
    client.put(
        "/api/v1/agencies/SNGV/periods/2026/tthc",
        json={"total": 5, "amended": 4, "abolished": 4},
        headers=h,
    )
    client.put(
        "/api/v1/agencies/SNGV/periods/2026/dossiers",
        json=DOSSIERS | {"period_end": "2026-11-15"},
        headers=h,
    )
    got = client.get("/api/v1/agencies/SNGV/periods/2026/figures", headers=h).json()
    assert got["period"] == "2025-12-15..2026-12-14"
    assert (
        got["tthc"]["total"],
        got["tthc"]["amended"],
        got["tthc"]["new"],
        got["tthc"]["abolished"],
    ) == (5, 4, 0, 4)
    assert (got["dossiers"]["received"], got["dossiers"]["period_end"]) == (73, "2026-11-15")


def test_the_api_refuses_bad_figures_in_vietnamese(client, tokens, session):
    h = bearer(tokens["sec_sngv"])
    r = client.put(
        "/api/v1/agencies/SNGV/periods/2026/dossiers", json=DOSSIERS | {"on_time": 70}, headers=h
    )
    assert r.status_code == 422 and "không bằng" in r.json()["detail"]
    r = client.put(
        "/api/v1/agencies/SNGV/periods/2026/dossiers",
        json=DOSSIERS | {"period_end": "2026-12-15"},
        headers=h,
    )
    assert r.status_code == 422 and "nằm ngoài kỳ báo cáo" in r.json()["detail"]
    r = client.get("/api/v1/agencies/SNGV/periods/2026-13/figures", headers=h)
    assert r.status_code == 422
    assert count(session, DOSSIER_STATS) == 0


def test_the_api_import_names_rows_and_scope(client, tokens, session):
    h = bearer(tokens["sec_sngv"])
    data = csv_bytes([[1, "SNGV", "", 3, 0, 3, 0, 0, 3], [2, "SCT", "", 1, 0, 1, 0, 0, 1]])
    r = client.post(
        "/api/v1/periods/2026/dossier-imports",
        files={"file": ("dvc.csv", data, "text/csv")},
        headers=h,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["rows.3.agency"]
    assert count(session, DOSSIER_STATS) == 0
    r = client.post(
        "/api/v1/periods/2026/dossier-imports",
        files={"file": ("dvc.xlsx", xlsx([[1, "SNGV", "", 3, 0, 3, 0, 0, 3]]))},
        headers=h,
    )
    assert (r.status_code, r.json()["rows"]) == (201, 1)


def test_the_pages_show_and_enter_figures(client, tokens):
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV/periods/2026/figures")
    assert page.status_code == 200 and "Chưa nhập số liệu hồ sơ" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "part": "dossiers",
        "received": "10.000",
        "on_time": "9.998",
        "late": "2",
        "with_results": "10.000",
    }
    assert client.post("/agencies/SNGV/periods/2026/figures", data=form).status_code == 303
    page = client.get("/agencies/SNGV/periods/2026/figures")
    assert "10.000" in page.text and "9.998" in page.text
    bad = client.post("/agencies/SNGV/periods/2026/figures", data=form | {"late": "-1"})
    assert bad.status_code == 422 and "số âm" in bad.text
    inv = client.get("/agencies/SNGV/procedures")
    ok = client.post(
        "/agencies/SNGV/procedures",
        data={
            "csrf_token": csrf_of(inv.text),
            "kind": "internal",
            "code": "QT-01",
            "title": "<b>Cấp thị thực</b>",
            "decision_ref": "10/QĐ-SNgV",
            "decision_on": "2/3/2026",
        },
    )
    assert ok.status_code == 303
    inv = client.get("/agencies/SNGV/procedures")
    assert (
        "&lt;b&gt;Cấp thị thực&lt;/b&gt;" in inv.text and "10/QĐ-SNgV ngày 02/03/2026" in inv.text
    )
    assert client.get("/agencies/SCT/procedures").status_code == 403


def test_the_upload_page_shows_row_errors_and_writes_nothing(client, tokens, session):
    login(client, "sec_sngv")
    page = client.get("/dossier-import")
    token = csrf_of(page.text)
    data = csv_bytes([[1, "SNGV", "", 3, 0, 2, 0, 0, 3], [2, "KHONGCO", "", 1, 0, 1, 0, 0, 1]])
    r = client.post(
        "/dossier-import",
        data={"csrf_token": token, "period": "2026"},
        files={"file": ("dvc.csv", data, "text/csv")},
    )
    assert r.status_code == 422
    assert "Dòng 2, cột «Số hồ sơ tiếp nhận»" in r.text and "Dòng 3, cột «Mã đơn vị»" in r.text
    assert count(session, DOSSIER_STATS) == 0
    r = client.post(
        "/dossier-import",
        data={"csrf_token": "x", "period": "2026"},
        files={"file": ("dvc.csv", data, "text/csv")},
    )
    assert r.status_code == 403
    good = csv_bytes([[1, "SNGV", "", 3, 0, 3, 0, 0, 3]])
    r = client.post(
        "/dossier-import",
        data={"csrf_token": token, "period": "2026"},
        files={"file": ("dvc.csv", good, "text/csv")},
    )
    assert r.status_code == 303 and count(session, DOSSIER_STATS) == 1
