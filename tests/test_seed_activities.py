"""The seeds' training, budget, directing documents and own inspections, and xã Thuận Lộc's
successor, loaded by the demo and read back through `isocycle ... --json` and the JSON API
exactly as the seeds state them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.calendar import RuleSet
from models.demo import load_demo
from models.users import create_user, issue_token
from tests.web_support import bearer

TODAY = date(2026, 11, 24)


@pytest.fixture
def demo(session: Session, rules: RuleSet) -> dict[str, int]:
    return load_demo(session=session, rules=rules, today=TODAY)


@pytest.fixture
def admin_token(session: Session, demo: dict[str, int]) -> str:
    user = create_user(session=session, username="skhcn", password="mat-khau-2026", role="admin")
    return issue_token(session=session, user=user)


def _cli_json(cli, *args: str) -> dict:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_holds_seed_001_figures_in_the_cli_json(cli, demo):
    data = _cli_json(cli, "activities", "show", "SNGV", "2021")
    # Seed 001 Phụ lục IIA: "Ban hành văn bản chỉ đạo | Văn bản | 05".
    assert data["directing_documents"]["count"] == 5
    numbers = [d["number"] for d in data["directing_documents"]["items"]]
    assert "46/KH-SNgV" in numbers and "25/QĐ-SNgV" in numbers
    # "Số cuộc tập huấn/đào tạo được cơ quan chủ trì tổ chức: cuộc 01", "được mời tham gia: 03",
    # "Số lượt cán bộ, công chức được tham gia tập huấn/đào tạo: người 24 lượt".
    training = data["training"]
    assert (training["held"], training["attended"], training["person_times"]) == (1, 3, 24)
    # "Số cuộc kiểm tra do cơ quan chủ trì thực hiện: cuộc 04",
    # "Số cơ quan/đơn vị được kiểm tra: cơ quan/đơn vị 04".
    assert (data["inspections"]["count"], data["inspections"]["units"]) == (4, 4)
    # "Năm 2021, Sở được cấp 10.000.000 đồng".
    assert [b["allocated"] for b in data["budget"]] == [10_000_000]
    assert data["budget"][0]["warnings"] == []
    assert data["period"] == {
        "start": "2020-12-15",
        "end": "2021-12-14",
        "key": "2020-12-15..2021-12-14",
        "label": "từ 15/12/2020 đến 14/12/2021",
    }


def test_the_cli_table_writes_seed_001_the_way_the_report_does(cli, demo):
    out = cli("activities", "show", "SNGV", "2021").stdout
    assert "Ban hành văn bản chỉ đạo: 05" in out
    assert "24 lượt người" in out
    assert "Kiểm tra: 04 cuộc, 04 đơn vị" in out
    assert "được cấp 10.000.000 đồng" in out


def test_the_demo_holds_seed_002_and_003_figures_in_the_cli_json(cli, demo):
    sct = _cli_json(cli, "activities", "show", "SCT", "2021")
    # Seed 002: "Kinh phí được cấp cho năm 2021 từ ngân sách tỉnh là 9 triệu đồng".
    assert [(b["purpose"], b["allocated"]) for b in sct["budget"]] == [("duy_tri", 9_000_000)]
    # "Sở không nhận được Văn bản mời tham dự": no course, no person-times.
    assert (sct["training"]["held"], sct["training"]["attended"]) == (0, 0)
    assert sct["training"]["person_times"] == 0
    # 51/KH-SCT of 23/02/2021, 231/SCT-VP2 of 22/02/2021, 248/SCT-VP4 of 25/02/2021.
    assert [(d["number"], d["issued_on"]) for d in sct["directing_documents"]["items"]] == [
        ("231/SCT-VP2", "2021-02-22"),
        ("51/KH-SCT", "2021-02-23"),
        ("248/SCT-VP4", "2021-02-25"),
    ]
    xa = _cli_json(cli, "activities", "show", "XTHUANLOC", "2022")
    # Seed 003: "Số lượt cán bộ được cử đi đào tạo tập huấn về ISO 9001:2015: 0 người",
    # "Số lớp tập huấn về ISO 9001:2015 được đơn vị tổ chức: 0 lớp."
    assert (xa["training"]["person_times"], xa["training"]["held"]) == (0, 0)
    # "Ban hành kế hoạch sô 12/KH-UBND, ngày 21/1/2022; Quyết định số 41/QĐ-UBND, ngày 24/1/2022".
    assert [(d["number"], d["issued_on"]) for d in xa["directing_documents"]["items"]] == [
        ("12/KH-UBND", "2022-01-21"),
        ("41/QĐ-UBND", "2022-01-24"),
    ]
    assert xa["budget"] == []  # seed 003 gives no amount


def test_thuan_loc_is_linked_to_phuong_nam_hong_linh(cli, demo):
    # NQ 1665/NQ-UBTVQH15 Điều 1 khoản 67: "phường Nam Hồng, phường Đậu Liêu và xã Thuận Lộc
    # thành phường mới có tên gọi là phường Nam Hồng Lĩnh" (code 18118).
    old = _cli_json(cli, "lineage", "show", "XTHUANLOC")
    assert [(s["code"], s["name"], s["valid_from"]) for s in old["successors"]] == [
        ("UB18118", "UBND phường Nam Hồng Lĩnh", "2025-07-01")
    ]
    assert old["successors"][0]["basis"] == "Nghị quyết 1665/NQ-UBTVQH15 Điều 1 khoản 67"
    new = _cli_json(cli, "lineage", "show", "UB18118")
    assert [(p["code"], p["valid_to"]) for p in new["predecessors"]] == [
        ("XTHUANLOC", "2025-06-30")
    ]


def test_the_api_returns_the_seed_figures(client: TestClient, admin_token: str):
    answer = client.get("/api/v1/agencies/SNGV/activities/2021", headers=bearer(admin_token))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["directing_documents"]["count"] == 5
    assert data["training"]["person_times"] == 24
    assert (data["inspections"]["count"], data["inspections"]["units"]) == (4, 4)
    assert data["budget"][0]["allocated"] == 10_000_000
    sct = client.get("/api/v1/agencies/SCT/activities/2021", headers=bearer(admin_token)).json()
    assert sct["budget"][0]["allocated"] == 9_000_000
    xa = client.get("/api/v1/agencies/XTHUANLOC/activities/2022", headers=bearer(admin_token))
    assert [d["number"] for d in xa.json()["directing_documents"]["items"]] == [
        "12/KH-UBND",
        "41/QĐ-UBND",
    ]
    lineage = client.get("/api/v1/agencies/UB18118/lineage", headers=bearer(admin_token)).json()
    assert [p["code"] for p in lineage["predecessors"]] == ["XTHUANLOC"]


def test_loading_the_seed_figures_again_adds_nothing(session: Session, rules: RuleSet, demo):
    from models import seed_demo

    again = seed_demo.load_seed_figures(session=session, rules=rules, today=TODAY)
    mine = {"training", "budgets", "directing_documents", "own_inspections", "links"}
    assert mine <= set(again) and set(again.values()) == {0}, again
    assert demo["directing_documents"] == 10 and demo["links"] == 1
