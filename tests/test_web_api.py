"""The JSON API: every endpoint, and the whole authorization matrix (role × agency × read/write)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from models.cycles import find_step
from models.tables import HistoryEntry
from tests.web_support import bearer

STEP = "quality_objectives"
COMPLETE = {"done_on": "2026-02-20", "ref": "12/KH-TEST", "note": "Ban hành kèm Quyết định"}

# persona → agencies it may read, agencies it may write (among SNGV, its unit TTDVDN, and SCT).
MATRIX = {
    "admin": ({"SNGV", "TTDVDN", "SCT"}, {"SNGV", "TTDVDN", "SCT"}),
    "sup_sngv": ({"SNGV", "TTDVDN"}, {"SNGV", "TTDVDN"}),
    "sec_sngv": ({"SNGV", "TTDVDN"}, {"SNGV", "TTDVDN"}),
    "sec_sct": ({"SCT"}, {"SCT"}),
    "view_sngv": ({"SNGV", "TTDVDN"}, set()),
    "view_all": ({"SNGV", "TTDVDN", "SCT"}, set()),
}
CASES = [(p, a) for p in MATRIX for a in ("SNGV", "TTDVDN", "SCT")]


def complete_url(code: str, step: str = STEP, year: int = 2026) -> str:
    return f"/api/v1/agencies/{code}/cycles/{year}/steps/{step}/complete"


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_it_lets_each_role_read_only_its_agencies(client, tokens, persona, code):
    allowed = code in MATRIX[persona][0]
    status = client.get(
        "/api/v1/status", params={"year": 2026, "agency": code}, headers=bearer(tokens[persona])
    )
    one = client.get(f"/api/v1/agencies/{code}", headers=bearer(tokens[persona]))
    assert (status.status_code, one.status_code) == ((200, 200) if allowed else (403, 403))
    if allowed:
        assert {r["agency"] for r in status.json()} <= {code, "TTDVDN"}
        assert one.json()["code"] == code


@pytest.mark.parametrize(("persona", "code"), CASES)
def test_it_lets_each_role_write_only_its_agencies(client, tokens, session, persona, code):
    allowed = code in MATRIX[persona][1]
    response = client.post(complete_url(code), json=COMPLETE, headers=bearer(tokens[persona]))
    assert response.status_code == (200 if allowed else 403)
    session.expire_all()
    step = find_step(session=session, agency_code=code, year=2026, key=STEP)
    assert (step.state == "done") is allowed
    if allowed:
        assert step.done_by == f"api:{persona}"


@pytest.mark.parametrize("persona", list(MATRIX))
def test_it_lists_only_visible_agencies(client, tokens, persona):
    listed = client.get("/api/v1/agencies", headers=bearer(tokens[persona])).json()
    codes = {a["code"] for a in listed}
    assert codes & {"SNGV", "TTDVDN", "SCT"} == MATRIX[persona][0]


def test_it_refuses_missing_and_wrong_tokens(client, tokens):
    assert client.get("/api/v1/status", params={"year": 2026}).status_code == 401
    wrong = client.get("/api/v1/status", params={"year": 2026}, headers=bearer("isc_nope"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.post(complete_url("SNGV"), json=COMPLETE).status_code == 401


def test_it_returns_the_same_objects_as_the_status_cli(client, tokens, cli):
    cli("done", "SNGV", "2026", "plan", "--on", "2026-01-20", "--ref", "5/KH-SNgV")
    shown = cli("status", "2026", "--json", "--today", "2026-11-24", "--agency", "SNGV")
    api = client.get(
        "/api/v1/status", params={"year": 2026, "agency": "SNGV"}, headers=bearer(tokens["admin"])
    )
    assert api.json() == json.loads(shown.stdout)
    assert len(api.json()) == 18  # SNGV and TTDVDN, nine steps each


def test_it_shows_the_whole_province_to_an_admin(client, tokens):
    rows = client.get(
        "/api/v1/status", params={"year": 2026}, headers=bearer(tokens["admin"])
    ).json()
    assert len(rows) == 6 * 9
    overdue = {r["step"] for r in rows if r["status"] == "overdue"}
    assert "annual_report" in overdue and "objectives_review" not in overdue


def test_it_completes_a_step_and_answers_it(client, tokens, session):
    response = client.post(complete_url("SNGV"), json=COMPLETE, headers=bearer(tokens["sec_sngv"]))
    assert response.status_code == 200
    body = response.json()
    assert (body["step"], body["status"], body["ref"], body["done_on"]) == (
        STEP,
        "done",
        "12/KH-TEST",
        "2026-02-20",
    )
    assert body["days_late"] == 0  # due 23/02/2026 after the Tết shift
    entry = session.exec(select(HistoryEntry).where(HistoryEntry.entity_id == STEP)).one()
    assert (entry.actor, entry.action, entry.new["ref"]) == ("api:sec_sngv", "done", "12/KH-TEST")


def test_it_answers_404_for_an_unknown_agency_or_step(client, tokens):
    headers = bearer(tokens["admin"])
    agency = client.post(complete_url("NOPE"), json=COMPLETE, headers=headers)
    step = client.post(complete_url("SNGV", step="nope"), json=COMPLETE, headers=headers)
    year = client.post(complete_url("SNGV", year=2030), json=COMPLETE, headers=headers)
    nul = client.post(complete_url("SNGV", step="pl%00an"), json=COMPLETE, headers=headers)
    assert (agency.status_code, step.status_code, year.status_code) == (404, 404, 404)
    assert nul.status_code == 404  # PostgreSQL refuses NUL in a parameter: never sent
    assert "NOPE" in agency.json()["detail"] and "nope" in step.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**COMPLETE, "done_on": "2026-11-25"}, "in the future"),
        ({**COMPLETE, "done_on": "2025-09-30"}, "before 01/10/2025, the earliest"),
        ({**COMPLETE, "done_on": "2026-02-30"}, "done_on"),
        ({**COMPLETE, "ref": "   "}, "document number"),
        ({"done_on": "2026-02-20"}, "ref"),
        ({**COMPLETE, "ref": "12\x00/KH"}, "control character"),
    ],
)
def test_it_answers_422_with_a_readable_message(client, tokens, session, body, words):
    response = client.post(complete_url("SNGV"), json=body, headers=bearer(tokens["admin"]))
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str) and words in response.json()["detail"]
    session.expire_all()
    assert find_step(session=session, agency_code="SNGV", year=2026, key=STEP).state == "open"


def test_it_accepts_a_review_before_the_audit(client, tokens):
    # QĐ 19/2014/QĐ-TTg Art. 4.4b asks for a review "at least once a year", and seed 000 holds one
    # (03/5/2021) before the audit (29/9/2021): the step is done, not refused.
    headers = bearer(tokens["admin"])
    review = {"done_on": "2026-11-05", "ref": "9/BB-SNgV"}
    first = client.post(complete_url("SNGV", "management_review"), json=review, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "done" and first.json()["done_on"] == "2026-11-05"


NEW_AGENCY = {
    "code": "SYT",
    "name": "Sở Y tế",
    "kind": "so",
    "parent_code": "HATINH",
    "secretary_email": "thuky.syt@hatinh.example",
}


def test_it_lets_an_admin_create_and_update_an_agency(client, tokens):
    headers = bearer(tokens["admin"])
    created = client.post("/api/v1/agencies", json=NEW_AGENCY, headers=headers)
    assert created.status_code == 201
    assert created.json()["parent_code"] == "HATINH" and created.json()["active"] is True
    again = client.post("/api/v1/agencies", json=NEW_AGENCY, headers=headers)
    assert again.status_code == 409
    patched = client.patch(
        "/api/v1/agencies/SYT", json={"name": "Sở Y tế Hà Tĩnh", "active": False}, headers=headers
    )
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["active"]) == ("Sở Y tế Hà Tĩnh", False)
    assert patched.json()["secretary_email"] == "thuky.syt@hatinh.example"  # untouched fields kept
    assert client.get("/api/v1/agencies/SYT", headers=headers).json()["name"] == "Sở Y tế Hà Tĩnh"


@pytest.mark.parametrize("persona", ["sup_sngv", "sec_sngv", "sec_sct", "view_sngv", "view_all"])
def test_it_lets_only_admins_manage_agencies(client, tokens, persona):
    headers = bearer(tokens[persona])
    assert client.post("/api/v1/agencies", json=NEW_AGENCY, headers=headers).status_code == 403
    patch = client.patch("/api/v1/agencies/SNGV", json={"name": "x"}, headers=headers)
    assert patch.status_code == 403


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**NEW_AGENCY, "kind": "hợp tác xã"}, "kind: không có loại đơn vị «hợp tác xã»"),
        ({**NEW_AGENCY, "parent_code": "NOWHERE"}, "parent_code"),
        ({**NEW_AGENCY, "secretary_email": "not-an-address"}, "secretary_email"),
        ({**NEW_AGENCY, "name": "Sở\x07Y tế"}, "control character"),
    ],
)
def test_it_refuses_a_bad_agency_naming_the_field(client, tokens, body, words):
    response = client.post("/api/v1/agencies", json=body, headers=bearer(tokens["admin"]))
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert client.get("/api/v1/agencies/SYT", headers=bearer(tokens["admin"])).status_code == 404


def test_it_refuses_a_patch_that_would_make_a_cycle(client, tokens):
    response = client.patch(
        "/api/v1/agencies/SNGV", json={"parent_code": "TTDVDN"}, headers=bearer(tokens["admin"])
    )
    assert (
        response.status_code == 422
        and "parent_code: «SNGV» nằm trong một vòng" in response.json()["detail"]
    )


def test_it_publishes_an_openapi_schema_with_bearer_auth(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/agencies/{code}/cycles/{year}/steps/{step}/complete" in schema["paths"]
    assert "/dashboard" not in schema["paths"]
    assert any(
        s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values()
    )


def test_it_filters_a_large_scope_the_same_way(client, tokens, monkeypatch):
    def fetch():
        return client.get(
            "/api/v1/status", params={"year": 2026}, headers=bearer(tokens["sec_sngv"])
        ).json()

    in_sql = fetch()
    monkeypatch.setattr("web.api.IN_LIST_LIMIT", 0)
    assert fetch() == in_sql
    assert {r["agency"] for r in in_sql} == {"SNGV", "TTDVDN"}
