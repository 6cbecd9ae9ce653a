"""History reaches people in words on every surface: the agency page, the API and the CLI."""

from __future__ import annotations

import json
import re
from datetime import date

from models import iso
from models.calendar import RuleSet
from tests.web_support import bearer, login

TODAY = date(2026, 11, 24)
HISTORY = "/api/v1/agencies/SNGV/history"
# A field key, or a Python value, shown to a person (the login sec_sngv is a name, not a key).
RAW = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|(?!sec_sngv)\b\w+_\w+")


def _verified_action(session, rules: RuleSet) -> None:
    """SNGV 2026: an audit with one finding, its action done and found effective."""
    iso_rules = iso.load_iso_rules()
    finding = iso.FindingIn("nhẹ", "Văn phòng", "Danh mục tài liệu chưa cập nhật", "7.5.3")
    iso.record_audit(
        session=session, agency_code="SNGV", year=2026, start_on=date(2026, 10, 1),
        end_on=date(2026, 10, 2), ref="25/BC-ĐGNB", team=None, scope_units=["Văn phòng"],
        findings=[finding], actor="web:sec_sngv", today=TODAY,
    )  # fmt: skip
    iso.add_action(
        session=session, agency_code="SNGV", year=2026, finding_number=1, owner_name="Hoa",
        owner_email="hoa@hatinh.example", description="Cập nhật danh mục", actor="web:sec_sngv",
        rules=iso_rules, working=rules.working,
    )  # fmt: skip
    iso.complete_action(
        session=session, agency_code="SNGV", year=2026, number=1, done_on=date(2026, 11, 2),
        actor="web:sec_sngv", today=TODAY,
    )  # fmt: skip
    iso.verify_action(
        session=session, agency_code="SNGV", year=2026, number=1, verified_on=date(2026, 11, 16),
        verified_by="Bùi Xuân Trường", effective=True, actor="web:sec_sngv", today=TODAY,
        rules=iso_rules, working=rules.working,
    )  # fmt: skip


VERIFIED = (
    "sec_sngv xác nhận hành động khắc phục #1 có hiệu lực ngày 16/11/2026 "
    "(người xác nhận: Bùi Xuân Trường)"
)


def test_the_agency_page_tells_history_in_words(client, tokens, session, rules):
    _verified_action(session, rules)
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV?year=2026").text
    history = page.split("<h2>Lịch sử thay đổi</h2>")[1]
    assert VERIFIED in history
    assert "E-mail người phụ trách: hoa@hatinh.example" in history
    assert "Hạn kiểm tra hiệu lực: " in history
    text = re.sub(r"<[^>]+>", " ", history)
    assert not RAW.search(text), RAW.search(text)


def test_the_api_gives_each_change_as_a_sentence_with_labelled_values(
    client, tokens, session, rules
):
    _verified_action(session, rules)
    response = client.get(HISTORY, params={"year": 2026}, headers=bearer(tokens["sec_sngv"]))
    assert response.status_code == 200
    entries = response.json()
    verified = next(
        e for e in entries if (e["entity"], e["action"]) == ("corrective_action", "verified")
    )
    assert verified["text"] == VERIFIED
    assert verified["new"]["effective"] is True  # the stored values stay, for programs
    created = next(
        e for e in entries if (e["entity"], e["action"]) == ("corrective_action", "created")
    )
    assert {"label": "E-mail người phụ trách", "old": None, "new": "hoa@hatinh.example"} in created[
        "changes"
    ]
    for e in entries:
        shown = [e["text"], *(f"{c['label']} {c['old'] or ''} {c['new']}" for c in e["changes"])]
        assert not any(RAW.search(s) for s in shown), shown
    # Same reading rules as the rest of the API: not another agency's secretary; 404 if unknown.
    assert client.get(HISTORY, headers=bearer(tokens["sec_sct"])).status_code == 403
    unknown = client.get("/api/v1/agencies/NOPE/history", headers=bearer(tokens["admin"]))
    assert unknown.status_code == 404
    assert client.get(HISTORY).status_code == 401


def test_the_cli_json_keeps_the_values_and_adds_the_words(cli, tokens, session, rules):
    _verified_action(session, rules)
    result = cli("history", "SNGV", "2026", "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    verified = next(e for e in entries if e["action"] == "verified")
    assert verified["text"] == VERIFIED and verified["new"]["effective"] is True
    table = cli("history", "SNGV", "2026").stdout
    assert VERIFIED in table and "True" not in table and "None" not in table
