"""The seeds' request letters and reports, loaded with the demo and read back through the CLI
--json and the JSON API exactly as the seeds state them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from models.users import create_user, issue_token
from tests.web_support import PASSWORD, bearer

TODAY = date(2026, 11, 24)


@pytest.fixture
def demo(session, rules) -> dict[str, int]:
    from models.demo import load_demo

    return load_demo(session=session, rules=rules, today=TODAY)


def cli_json(cli, *args: str):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_holds_the_request_letters_once(demo, session, rules):
    from models.iso import load_iso_rules
    from models.seed_demo import reporting as seed

    assert demo["report_requests"] == 3 and demo["reports"] == 3
    again = seed.load(session=session, rules=rules, iso_rules=load_iso_rules(), today=TODAY)
    assert again == {"report_requests": 0, "reports": 0}


def test_seed_004_the_request_letter_reads_back_from_the_cli(demo, cli):
    letters = {r["letter_number"]: r for r in cli_json(cli, "reports", "requests")}
    # Seed 004: "Số: 1550 /SKHCN-TĐC ... Hà Tĩnh, ngày 11 tháng 11 năm 2020" ... "gửi về Sở Khoa
    # học và Công nghệ trước ngày 20/11/2020"; figures "đến thời điểm kiểm tra đánh giá".
    letter = letters["1550/SKHCN-TĐC"]
    assert (letter["unit"], letter["letter_date"], letter["nominal_due"], letter["due"]) == (
        "SKHCN",
        "2020-11-11",
        "2020-11-20",
        "2020-11-20",  # a Friday: not moved
    )
    assert (letter["period_start"], letter["period_end"]) == ("2019-12-15", "2020-11-11")
    # "Kính gửi: - Các Sở, Ban, ngành cấp tỉnh; - UBND các huyện, thành phố, thị xã; - Các Chi
    # cục, Ban thuộc Sở, ngành."
    assert letter["recipient_kinds"] == ["chi_cuc", "so", "ubnd_huyen"]
    assert {"SNGV", "SCT", "TXHL", "CCQLTT"} <= set(letter["agencies"])
    assert "SKHCN" not in letter["agencies"]
    assert letter["outline"].startswith("Đề cương báo cáo kết quả xây dựng, áp dụng")
    # Seed 001: "Công văn số 1753 ngày 09/11/2021 của Sở Khoa học và Công nghệ".
    assert (letters["1753"]["unit"], letters["1753"]["letter_date"]) == ("SKHCN", "2021-11-09")
    # Seed 003: "Công văn số: 1671/UBND-KT, ngày 21 tháng 10 năm 2022 của UBND Thị xã Hồng Lĩnh".
    assert (letters["1671/UBND-KT"]["unit"], letters["1671/UBND-KT"]["letter_date"]) == (
        "TXHL",
        "2022-10-21",
    )
    assert letters["1671/UBND-KT"]["agencies"] == ["XTHUANLOC"]


def test_seeds_001_002_003_the_reports_read_back_from_the_cli(demo, cli):
    rows = {r["agency"]: r for r in cli_json(cli, "reports", "list", "--today", "2026-11-24")}
    # Seed 001: "Số: 177/BC-SNgV ... Hà Tĩnh, ngày 17 tháng 11 năm 2021"; "Nơi nhận: - Sở Khoa
    # học Công nghệ;".
    sngv = next(
        r
        for r in cli_json(cli, "reports", "list", "2021", "--agency", "SNGV")
        if r["step"] == "annual_report"
    )
    assert (sngv["number"], sngv["report_date"], sngv["recipient"], sngv["addressed_to"]) == (
        "177/BC-SNgV",
        "2021-11-17",
        "SKHCN",
        "Sở Khoa học Công nghệ",
    )
    # Seed 002: "Số: /BC-SCT ... Hà Tĩnh, ngày 22 tháng 11 năm 2021"; "Nơi nhận: - Sở KH&CN;
    # - Chi cục TCĐLCL;".
    sct = next(
        r
        for r in cli_json(cli, "reports", "list", "2021", "--agency", "SCT")
        if r["step"] == "annual_report"
    )
    assert (sct["number"], sct["report_date"], sct["recipient"], sct["addressed_to"]) == (
        "/BC-SCT",
        "2021-11-22",
        "SKHCN",
        "Sở KH&CN; Chi cục TCĐLCL",
    )
    # Seed 003: "(Kèm theo Báo cáo số…./BC- ngày / /2022 của…….)": no number, no date;
    # "Nơi nhận: - BCĐ ISO thị xã; - Phòng Kinh tế; (Báo cáo)" — the district, in 2022.
    xa = cli_json(
        cli,
        "reports",
        "list",
        "--unit",
        "TXHL",
        "--letter",
        "1671/UBND-KT",
        "--today",
        "2026-11-24",
    )
    assert [(r["agency"], r["year"], r["number"], r["report_date"]) for r in xa] == [
        ("XTHUANLOC", 2022, None, None)
    ]
    assert (xa[0]["recipient"], xa[0]["addressed_to"]) == ("TXHL", "BCĐ ISO thị xã; Phòng Kinh tế")
    # The seeds state no receipt: each report stands as sent.
    assert {r["status"] for r in (sngv, sct, *xa)} == {"submitted"}
    assert rows  # the whole list answers too


def test_seeds_read_back_from_the_api(demo, client, session):
    user = create_user(
        session=session, username="sec_skhcn", password=PASSWORD, role="secretary",
        agency_code="SKHCN",
    )  # fmt: skip
    token = issue_token(session=session, user=user)
    admin = issue_token(
        session=session,
        user=create_user(session=session, username="adm", password=PASSWORD, role="admin"),
    )
    sngv = client.get("/api/v1/agencies/SNGV/cycles/2021/reports", headers=bearer(token)).json()
    annual = next(r for r in sngv if r["step"] == "annual_report")
    assert (annual["number"], annual["report_date"], annual["recipient"]) == (
        "177/BC-SNgV",
        "2021-11-17",
        "SKHCN",
    )
    sct = client.get("/api/v1/agencies/SCT/cycles/2021/reports", headers=bearer(token)).json()
    annual = next(r for r in sct if r["step"] == "annual_report")
    assert (annual["number"], annual["report_date"]) == ("/BC-SCT", "2021-11-22")
    letters = {
        r["letter_number"]: r
        for r in client.get(
            "/api/v1/report-requests", params={"unit": "SKHCN"}, headers=bearer(token)
        ).json()
    }
    assert (letters["1550/SKHCN-TĐC"]["letter_date"], letters["1550/SKHCN-TĐC"]["due"]) == (
        "2020-11-11",
        "2020-11-20",
    )
    xa = client.get(
        "/api/v1/report-requests/TXHL/reports",
        params={"letter": "1671/UBND-KT"},
        headers=bearer(admin),
    ).json()
    assert [(r["agency"], r["number"], r["addressed_to"]) for r in xa] == [
        ("XTHUANLOC", None, "BCĐ ISO thị xã; Phòng Kinh tế")
    ]
    # Sở KH&CN is not the district: it may not record receipt of the commune's report.
    refused = client.post(
        "/api/v1/agencies/XTHUANLOC/cycles/2022/reports/receipt",
        params={"step": "annual_report"},
        json={"received_on": "2022-11-30"},
        headers=bearer(token),
    )
    assert refused.status_code == 403
