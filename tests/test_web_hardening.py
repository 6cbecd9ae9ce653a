"""Review findings on the web layer: event keys with "/", steps owned by their records, and
text-only spreadsheet cells (the serve guard: tests/test_access.py; login throttling:
tests/test_login_throttle.py)."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models.cycles import find_step
from models.iso import ACTION_STEP, VERIFY_STEP, load_iso_rules, record_event
from models.tables import Agency, Step
from notifications.links import step_link
from notifications.messages import step_url
from tests.test_web_iso_pages import AUDITS, post, record_audit, signed_in
from tests.web_support import NOW, bearer, csrf_of, login

NUMBER = "512/QĐ-UBND"
EVENT_KEY = f"procedure_update:{NUMBER}"


@pytest.fixture
def event(session, rules, tokens) -> str:
    """A legal change (a document number with "/") that gives SNGV a procedure_update step."""
    record_event(
        session=session,
        kind="legal_change",
        number=NUMBER,
        effective_on=date(2026, 3, 2),
        agency_codes=["SNGV"],
        actor="skhcn",
        rules=load_iso_rules(),
        working=rules.working,
    )
    return EVENT_KEY


def test_it_completes_an_event_step_with_a_slash_in_its_key_from_the_page(client, session, event):
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV?year=2026").text
    row = re.search(rf'<tr [^>]*data-step="{re.escape(event)}">.*?</tr>', page, re.S)
    assert row, "the event step is listed"
    href = html.unescape(re.search(r'class="button" href="([^"]+)"', row.group(0)).group(1))
    assert href == f"/agencies/SNGV/2026/steps/{quote(event, safe='/')}"
    form = client.get(href)
    assert form.status_code == 200 and "Số ký hiệu văn bản" in form.text
    action = html.unescape(
        re.search(r'<form method="post" action="([^"]+)" class="card narrow"', form.text).group(1)
    )
    done = client.post(
        action,
        data={"csrf_token": csrf_of(form.text), "done_on": "2026-05-20", "ref": "88/QĐ-SNgV"},
    )
    assert done.status_code == 303
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2026, key=event)
    assert (step.state, step.ref, step.done_by) == ("done", "88/QĐ-SNgV", "web:sec_sngv")


def test_it_opens_the_reminder_link_of_an_event_step(client, settings, event):
    url = step_url(settings.base_url, "SNGV", 2026, event)
    assert "/steps/procedure_update:512/" in url  # the "/" is written as is
    login(client, "sec_sngv")
    path = url.removeprefix(settings.base_url.rstrip("/"))
    for variant in (path, path.replace("512/", "512%2F")):  # as written, and slash-encoded
        form = client.get(variant)
        assert form.status_code == 200 and NUMBER in form.text


def test_it_completes_an_event_step_with_a_slash_in_its_key_through_the_api(
    client, tokens, session, event
):
    url = f"/api/v1/agencies/SNGV/cycles/2026/steps/{event}/complete"
    body = {"done_on": "2026-05-20", "ref": "88/QĐ-SNgV"}
    response = client.post(url, json=body, headers=bearer(tokens["sec_sngv"]))
    assert response.status_code == 200, response.text
    assert response.json()["step"] == event and response.json()["status"] == "done"
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2026, key=event)
    assert (step.state, step.done_by) == ("done", "api:sec_sngv")
    # An encoded slash reaches the same step, and a key that is not there is still a 404.
    again = url.replace("512/", "512%2F")
    assert client.post(again, json=body, headers=bearer(tokens["sec_sngv"])).status_code == 200
    missing = url.replace("512/", "513/")
    assert client.post(missing, json=body, headers=bearer(tokens["sec_sngv"])).status_code == 404


@pytest.fixture
def action_steps(client, tokens, session) -> list[str]:
    """SNGV's audit with a corrective action: its action and verification step keys."""
    csrf = signed_in(client)
    record_audit(client, csrf)
    opened = post(
        client,
        "/agencies/SNGV/2026/actions",
        csrf,
        {"finding": "1", "description": "Bổ sung phiếu xin lỗi", "owner_name": "Lê Thị Hoa"},
    )
    assert opened.status_code == 303
    keys = session.exec(
        select(Step.key).where(Step.step_type.in_([ACTION_STEP, VERIFY_STEP]))  # type: ignore[attr-defined]
    ).all()
    assert sorted(k.split(":")[0] for k in keys) == [VERIFY_STEP, ACTION_STEP]
    return list(keys)


def test_it_offers_no_mark_done_for_steps_owned_by_a_corrective_action(
    client, session, action_steps
):
    page = client.get("/agencies/SNGV?year=2026").text
    for key in action_steps:
        row = re.search(rf'<tr [^>]*data-step="{re.escape(key)}">.*?</tr>', page, re.S)
        assert row, key
        assert "Đánh dấu hoàn thành" not in row.group(0) and "/steps/" not in row.group(0)
        assert f'href="{AUDITS}"' in row.group(0)
    plan = re.search(r'<tr [^>]*data-step="plan">.*?</tr>', page, re.S)
    assert plan and "Đánh dấu hoàn thành" in plan.group(0)  # calendar steps keep their button


def test_it_sends_the_step_form_of_an_action_step_to_the_audits_page(client, session, action_steps):
    for key in action_steps:
        url = f"/agencies/SNGV/2026/steps/{key}"
        form = client.get(url)
        assert form.status_code == 200
        assert 'name="ref"' not in form.text and "Ghi nhận hoàn thành" not in form.text
        assert "hồ sơ hành động khắc phục" in form.text and f'href="{AUDITS}"' in form.text
        token = csrf_of(client.get("/agencies/SNGV?year=2026").text)
        posted = client.post(
            url, data={"csrf_token": token, "done_on": "2026-11-05", "ref": "1/BC"}
        )
        assert posted.status_code == 422 and "không đánh dấu trực tiếp" in posted.text
    session.expire_all()
    states = session.exec(select(Step.state).where(Step.key.in_(action_steps))).all()  # type: ignore[attr-defined]
    assert set(states) == {"open"}


def test_it_writes_a_formula_like_agency_name_as_text_in_the_xlsx(client, tokens, session):
    name = '=HYPERLINK("http://x","y")'
    agency = session.exec(select(Agency).where(Agency.code == "SNGV")).one()
    agency.name = name
    session.add(agency)
    session.commit()
    login(client, "admin")
    response = client.get("/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    for sheet in (book["Chi tiết 2026"], book["Ma trận 2026"]):
        rows = [r for r in sheet.iter_rows() if r[0].value == "SNGV"]
        assert rows and all((r[1].value, r[1].data_type) == (name, "s") for r in rows)
    for sheet in book.worksheets:
        assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)


def test_it_sends_a_one_click_link_of_an_action_step_to_the_audits_page(
    client, settings, session, action_steps
):
    client.post("/logout", data={"csrf_token": csrf_of(client.get(AUDITS).text)})
    for key in action_steps:
        step = find_step(session=session, agency_code="SNGV", year=2026, key=key)
        path = step_link(settings, step.id, NOW).removeprefix(settings.base_url.rstrip("/"))
        form = client.get(path)
        assert form.status_code == 200 and 'name="ref"' not in form.text
        assert f'href="{AUDITS}"' in form.text
        posted = client.post(
            path,
            data={
                "csrf_token": csrf_of(client.get("/login").text),  # the page has no form
                "done_on": "2026-11-05",
                "ref": "1/BC",
            },
        )
        assert posted.status_code == 422 and "không đánh dấu trực tiếp" in posted.text
    session.expire_all()
    states = session.exec(select(Step.state).where(Step.key.in_(action_steps))).all()  # type: ignore[attr-defined]
    assert set(states) == {"open"}
