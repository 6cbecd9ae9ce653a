"""The seeds' internal audits and management reviews, loaded by the demo and read back through
`isocycle audit show --json`, `isocycle review list` and the JSON API as the seeds state them."""

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


def _cli_json(cli, *args: str) -> object:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_001_audit_and_its_review_before_it(cli, demo):
    data = _cli_json(cli, "audit", "show", "SNGV", "2021", "--json")
    # "Thời gian tổ chức cuộc đánh giá gần nhất: 29/9/2021"; "Số lần đánh giá nội bộ: 01 lần".
    assert [(a["start_on"], a["end_on"]) for a in data["audits"]] == [("2021-09-29", "2021-09-29")]
    # "Không có điểm không phù hợp nhẹ, không có điểm không phù hợp nặng; có 06 điểm lưu ý."
    assert data["counts"] == {"major": 0, "minor": 0, "observation": 6}
    reviews = _cli_json(cli, "review", "list", "SNGV", "2021")
    # "Ngày 03/5/2021, Ban Giám đốc Sở đã triệu tập cuộc họp xem xét về HTQLCL": before the audit,
    # so it is kept with a warning (QĐ 19/2014 Art. 4.4b), not refused.
    assert [r["held_on"] for r in reviews] == ["2021-05-03"]
    assert "trước" in reviews[0]["warning"] and "29/09/2021" in reviews[0]["warning"]


def test_seed_002_and_003_audits(cli, demo):
    sct = _cli_json(cli, "audit", "show", "SCT", "2021", "--json")
    # "Thời gian tổ chức cuộc đánh giá gần nhất: tháng 9/2021": recorded over the month.
    assert [(a["start_on"], a["end_on"]) for a in sct["audits"]] == [("2021-09-01", "2021-09-30")]
    # "phát hiện 01 điểm không phù hợp; 02 điểm lưu ý".
    assert sct["counts"] == {"major": 0, "minor": 1, "observation": 2}
    xa = _cli_json(cli, "audit", "show", "XTHUANLOC", "2022", "--json")
    # Phụ lục 1, "Ngày đánh giá chất lượng nội bộ": "11/2022"; "Điểm không phù hợp nhẹ: 0, Điểm
    # không phù hợp nặng: 0", and the three "Điểm lưu ý" the report lists.
    assert [(a["start_on"], a["end_on"]) for a in xa["audits"]] == [("2022-11-01", "2022-11-30")]
    assert xa["counts"] == {"major": 0, "minor": 0, "observation": 3}
    assert xa["findings"][2]["description"].startswith("Lập danh mục tài liệu và danh mục hồ sơ")


def test_the_api_gives_the_seed_audits(client: TestClient, session: Session, demo):
    user = create_user(session=session, username="skhcn", password="mat-khau-2026", role="admin")
    headers = bearer(issue_token(session=session, user=user))
    audits = client.get("/api/v1/agencies/SNGV/cycles/2021/audits", headers=headers)
    assert audits.status_code == 200, audits.text
    assert audits.json()["audits"][0]["start_on"] == "2021-09-29"
    assert audits.json()["counts"]["observation"] == 6
    reviews = client.get("/api/v1/agencies/SNGV/cycles/2021/reviews", headers=headers).json()
    assert [r["held_on"] for r in reviews["reviews"]] == ["2021-05-03"]
    xa = client.get("/api/v1/agencies/XTHUANLOC/cycles/2022/audits", headers=headers).json()
    assert xa["audits"][0]["end_on"] == "2022-11-30" and xa["counts"]["minor"] == 0


def test_the_seed_audits_complete_their_steps_and_load_once(cli, session, rules, demo):
    from models import seed_demo

    rows = _cli_json(cli, "status", "2022", "--agency", "XTHUANLOC", "--json")
    audit = next(r for r in rows if r["agency"] == "XTHUANLOC" and r["step"] == "internal_audit")
    assert (audit["status"], audit["done_on"]) == ("done", "2022-11-30")
    again = seed_demo.load_seed_figures(session=session, rules=rules, today=TODAY)
    assert again["seed_audits"] == 0 and again["seed_reviews"] == 0
