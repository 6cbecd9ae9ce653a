"""Seeds 001, 002 and 003: the QMS profile, steering committee and announcement figures, read
back through the CLI `--json` and the JSON API exactly as the seeds state them."""

from __future__ import annotations

import json

import pytest

from models import iso
from models.cycles import find_step
from models.demo import load_demo
from tests.web_support import NOW, bearer

TODAY = NOW.date()


@pytest.fixture
def demo(session, rules) -> None:
    load_demo(session=session, rules=rules, today=TODAY)


def show(cli, code: str) -> dict:
    result = cli("profile", "show", code, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_seed_001_so_ngoai_vu(demo, cli):
    data = show(cli, "SNGV")
    # Phụ lục IIA: "1 Sở Ngoại vụ 2009 2018" (Năm áp dụng ISO 9001:2008; Năm chuyển đổi ... 2015).
    assert (data["first_applied_year"], data["converted_year"]) == (2009, 2018)
    # "Ngày 25/7/2018, Sở đã có Quyết định số 27/QĐ-SNgV về ban hành và áp dụng hệ thống quản lý
    # chất lượng theo TCVN ISO 9001:2015."
    assert (data["system_ref"], data["system_issued_on"]) == ("27/QĐ-SNgV", "2018-07-25")
    assert data["standard"] == "TCVN ISO 9001:2015"
    # "Sở đã có Quyết định số 25/QĐ-SNgV ngày 16/7/2021 về việc công bố Hệ thống quản lý chất
    # lượng tại Sở Ngoại vụ", "trên cơ sở Quyết định số 2449/QĐ-UBND ngày 29/6/2021".
    latest = data["latest_announcement"]
    assert (latest["ref"], latest["decided_on"]) == ("25/QĐ-SNgV", "2021-07-16")
    assert "2449/QĐ-UBND ngày 29/6/2021" in latest["basis"]
    # "ngày 27/9/2018, Sở Ngoại vụ đã ban hành Quyết định số 37/QĐ-SNgV về việc công bố"
    first = data["announcements"][0]
    assert (first["kind"], first["ref"], first["decided_on"]) == (
        "announcement",
        "37/QĐ-SNgV",
        "2018-09-27",
    )
    # "Quyết định số 29/QĐ-SNgV ngày 05/8/2020 về kiện toàn Ban Chỉ đạo ... và được áp dụng cho
    # đến thời điểm hiện nay."
    committee = data["committees"][0]
    assert (committee["ref"], committee["decided_on"], committee["in_force"]) == (
        "29/QĐ-SNgV",
        "2020-08-05",
        True,
    )


def test_seed_001_keeps_one_committee_for_years_so_no_yearly_step(demo, session):
    # The same decision serves 2021 and after: no year asks Sở Ngoại vụ for a new committee.
    for year in (2021, 2022, TODAY.year):
        with pytest.raises(Exception, match="unknown step 'steering_committee'"):
            find_step(session=session, agency_code="SNGV", year=year, key="steering_committee")


def test_seed_002_so_cong_thuong(demo, cli, session):
    data = show(cli, "SCT")
    # "năm 2018 Sở Công Thương đã thực hiện xây dựng chuyển đổi hệ thống quản lý chất lượng"
    assert data["converted_year"] == 2018
    # "Số Quyết định công bố: Quyết định số 119/QĐ-SCT ngày 10/11/2021"
    latest = data["latest_announcement"]
    assert (latest["ref"], latest["decided_on"]) == ("119/QĐ-SCT", "2021-11-10")
    # "Năm 2021 đã thực hiện 02 lần kiện toàn Ban chỉ đạo ISO tại các Quyết định: số 30/QĐ-SCT
    # ngày 12/3/2021, số 93/QĐ-SCT ngày 30/8/2021."
    assert [(c["ref"], c["decided_on"], c["in_force"]) for c in data["committees"]] == [
        ("93/QĐ-SCT", "2021-08-30", True),
        ("30/QĐ-SCT", "2021-03-12", False),
    ]
    # SCT had no committee on record before 2021, so its 2021 step is done by the first decision.
    step = find_step(session=session, agency_code="SCT", year=2021, key="steering_committee")
    assert (step.state, step.ref, step.done_on.isoformat()) == ("done", "30/QĐ-SCT", "2021-03-12")


def test_seed_003_xa_thuan_loc_phu_luc_1(demo, client, tokens, session):
    # Read through the API as the admin (Sở KH&CN).
    response = client.get("/api/v1/agencies/XTHUANLOC/profile", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    data = response.json()
    # Phụ lục 1: "395/QĐ-UBND Ban hành cập nhật HTTL ... năm 2018" (no day is given).
    assert (data["system_ref"], data["system_issued_on"], data["system_year"]) == (
        "395/QĐ-UBND",
        None,
        2018,
    )
    # "Công bố: năm 2018 (QĐ số: 96/QĐ-UBND, ngày 28/8/2018)"; "Công bố lại: theo QĐ số
    # 721/QĐ-UBND, ngày 19/5/2022": 721/QĐ-UBND is the re-announcement itself.
    assert [(a["kind"], a["ref"], a["decided_on"]) for a in data["announcements"]] == [
        ("announcement", "96/QĐ-UBND", "2018-08-28"),
        ("re_announcement", "721/QĐ-UBND", "2022-05-19"),
    ]
    assert data["latest_announcement"]["ref"] == "721/QĐ-UBND"
    # "QĐ thành lập số: 36/QĐ-UBND, ngày 30/6/2011, QĐ kiện toàn lần 1 số85/QĐ-UBND, ngày
    # 13/8/2018; QĐ kiện toàn lần 2 số: 125/QĐ-UBND, 04/8/2020."
    assert [(c["ref"], c["decided_on"]) for c in data["committees"]] == [
        ("125/QĐ-UBND", "2020-08-04"),
        ("85/QĐ-UBND", "2018-08-13"),
        ("36/QĐ-UBND", "2011-06-30"),
    ]


def test_the_seed_figures_are_entered_once(demo, session, rules):
    again = load_demo(session=session, rules=rules, today=TODAY)
    assert (again["profiles"], again["committees"], again["announcements"]) == (0, 0, 0)
    data = iso.get_profile(session=session, agency_code="XTHUANLOC")
    assert len(data["committees"]) == 3 and len(data["announcements"]) == 2
