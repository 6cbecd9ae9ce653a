"""The pages: login, sessions, CSRF, the secretary's cycle, the dashboard, links and feeds."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import SecretStr
from sqlmodel import select

from models.cycles import find_step
from models.logins import LOGIN_FREE_FAILURES, LoginAttempt
from models.tables import Step
from notifications.links import LINK_TTL, feed_token, link_token, step_link
from tests.web_support import NOW, PASSWORD, csrf_of, login
from web.app import create_app


def step_id(session, code: str, key: str):
    return find_step(session=session, agency_code=code, year=2026, key=key).id


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/dashboard?year=2026")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard?year=2026"


def test_it_signs_a_secretary_in_to_her_agency(client, tokens):
    response = login(client, "sec_sngv")
    assert response.status_code == 303
    home = client.get(response.headers["location"])
    assert home.headers["location"] == "/agencies/SNGV"
    page = client.get("/agencies/SNGV")
    assert page.status_code == 200 and "Sở Ngoại vụ" in page.text


def test_it_sets_a_signed_httponly_lax_cookie(client, tokens):
    cookie = login(client, "admin").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # base_url is http in tests


def test_it_marks_the_cookie_secure_behind_https(settings, tokens):
    app = create_app(settings.model_copy(update={"base_url": "https://iso.hatinh.gov.vn"}))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        assert "secure" in login(client, "admin").headers["set-cookie"].lower()
    app.state.engine.dispose()


def test_it_refuses_a_wrong_password(client, tokens):
    response = login(client, "admin", "wrong-password")
    assert response.status_code == 401
    assert "không đúng" in response.text
    assert client.get("/dashboard").status_code == 303


def test_it_refuses_a_post_without_a_valid_csrf_token(client, tokens):
    login(client, "sec_sngv")
    url = "/agencies/SNGV/2026/steps/plan"
    data = {"done_on": "2026-01-20", "ref": "5/KH-SNgV"}
    assert client.post(url, data=data).status_code == 403
    assert client.post(url, data=data | {"csrf_token": "forged" * 8}).status_code == 403
    assert (
        client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403
    )


def test_it_throttles_logins_across_processes(client, settings, tokens, session):
    for _ in range(LOGIN_FREE_FAILURES):
        assert login(client, "admin", "guess").status_code == 401
    blocked = login(client, "admin")  # even the right password, from the address that failed
    assert blocked.status_code == 429 and "1 phút" in blocked.text
    other_app = create_app(settings, clock=lambda: NOW + timedelta(seconds=59))
    with TestClient(other_app, follow_redirects=False) as other:
        assert login(other, "admin").status_code == 429
    later = create_app(settings, clock=lambda: NOW + timedelta(minutes=1))
    with TestClient(later, follow_redirects=False) as other:
        assert login(other, "admin").status_code == 303
    assert session.exec(select(LoginAttempt)).all()[-1].ok
    other_app.state.engine.dispose()
    later.state.engine.dispose()


def test_it_shows_the_cycle_with_due_dates_status_and_days(client, tokens):
    login(client, "sec_sngv")
    page = client.get("/agencies/SNGV?year=2026").text
    assert "23/02/2026" in page  # quality_objectives, moved past Tết
    assert 'class="st-overdue" data-step="annual_report"' in page
    assert "Quá hạn 4 ngày" in page  # annual_report due 20/11, today 24/11
    assert "Còn 21 ngày" in page  # objectives_review due 15/12


def test_it_marks_a_step_done_from_the_form(client, tokens, session):
    login(client, "sec_sngv")
    url = "/agencies/SNGV/2026/steps/internal_audit"
    form = client.get(url)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_of(form.text),
            "done_on": "24/11/2026",
            "ref": "177/BC-SNgV",
            "note": "Gửi qua hệ thống",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Đã ghi nhận hoàn thành" in page and "177/BC-SNgV" in page
    assert "Trễ 40 ngày" in page
    # The history tells it as a sentence, never as "state: open" or raw keys.
    assert "sec_sngv đánh dấu hoàn thành bước «Đánh giá nội bộ» ngày 24/11/2026" in page
    assert "Ghi chú: Gửi qua hệ thống" in page
    assert "state:" not in page and "done_on" not in page and "None" not in page
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    assert (step.state, step.ref, step.done_by) == ("done", "177/BC-SNgV", "web:sec_sngv")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"done_on": "2026-11-25", "ref": "1/KH"}, "không được sau ngày hôm nay"),
        ({"done_on": "30/09/2025", "ref": "1/KH"}, "không được trước ngày 01/10/2025"),
        ({"done_on": "30/02/2026", "ref": "1/KH"}, "không hợp lệ"),
        ({"done_on": "2026-02-20", "ref": " "}, "Số ký hiệu văn bản là bắt buộc"),
    ],
)
def test_it_shows_form_errors_in_vietnamese(client, tokens, session, fields, message):
    login(client, "sec_sngv")
    url = "/agencies/SNGV/2026/steps/quality_objectives"
    token = csrf_of(client.get(url).text)
    response = client.post(url, data=fields | {"csrf_token": token})
    assert response.status_code == 422 and message in response.text
    session.expire_all()
    assert (
        find_step(session=session, agency_code="SNGV", year=2026, key="quality_objectives").state
        == "open"
    )


@pytest.mark.parametrize(
    ("persona", "path", "status"),
    [
        ("sec_sngv", "/agencies/SCT", 403),
        ("sec_sngv", "/agencies/TTDVDN", 200),
        ("sec_sngv", "/agencies/SCT/2026/steps/plan", 403),
        ("view_sngv", "/agencies/SNGV", 200),
        ("view_sngv", "/agencies/SNGV/2026/steps/plan", 403),
        ("sec_sct", "/agencies/SNGV", 403),
        ("admin", "/agencies/SCT/2026/steps/plan", 200),
        ("admin", "/agencies/NOPE", 404),
    ],
)
def test_it_checks_every_page_against_the_role(client, tokens, persona, path, status):
    login(client, persona)
    assert client.get(path).status_code == status


def test_it_refuses_a_secretary_posting_to_another_agency(client, tokens, session):
    login(client, "sec_sngv")
    token = csrf_of(client.get("/agencies/SNGV/2026/steps/plan").text)
    response = client.post(
        "/agencies/SCT/2026/steps/plan",
        data={"csrf_token": token, "done_on": "2026-01-20", "ref": "5/KH-SCT"},
    )
    assert response.status_code == 403 and "không có quyền" in response.text
    assert find_step(session=session, agency_code="SCT", year=2026, key="plan").state == "open"


def test_it_counts_and_lists_on_the_dashboard(client, tokens, cli):
    cli("done", "SNGV", "2026", "plan", "--on", "2026-01-20", "--ref", "5/KH-SNgV")
    cli("done", "SCT", "2026", "plan", "--on", "2026-02-10", "--ref", "7/KH-SCT")
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    assert "2/6 đơn vị đã hoàn thành, 4 quá hạn" in page  # plan
    assert "0/6 đơn vị đã hoàn thành, 0 quá hạn" in page  # objectives_review, not yet due
    assert '<tr data-agency="SNGV">' in page and 'class="done" data-step="plan"' in page


def test_it_filters_the_dashboard_by_kind_and_parent(client, tokens):
    login(client, "admin")
    by_kind = client.get("/dashboard?year=2026&kind=so").text
    assert '<tr data-agency="SNGV">' in by_kind and '<tr data-agency="TTDVDN">' not in by_kind
    by_parent = client.get("/dashboard?year=2026&parent=SNGV").text
    assert '<tr data-agency="TTDVDN">' in by_parent and '<tr data-agency="SCT">' not in by_parent
    assert "0/2 đơn vị đã hoàn thành, 2 quá hạn" in by_parent


def test_it_limits_a_supervisor_dashboard_to_the_subtree(client, tokens):
    login(client, "sup_sngv")
    page = client.get("/dashboard?year=2026").text
    assert '<tr data-agency="TTDVDN">' in page and '<tr data-agency="SCT">' not in page


def test_it_sorts_the_overdue_list(client, tokens, cli):
    # SCT did its two January steps, so its oldest overdue step is quality_objectives (23/02).
    cli("done", "SCT", "2026", "plan", "--on", "2026-01-20", "--ref", "1/KH-SCT")
    cli("done", "SCT", "2026", "steering_committee", "--on", "2026-01-20", "--ref", "2/QĐ-SCT")
    login(client, "admin")

    def order(sort: str) -> list[str]:
        page = client.get(f"/dashboard?year=2026&sort={sort}").text
        return re.findall(r'<tr data-overdue="([^"]+)"', page)

    most, least = order("-days"), order("days")
    assert most[-1] == "SCT" and least[0] == "SCT"
    assert set(most) == {"HATINH", "SKHCN", "SNGV", "TTDVDN", "SCT", "UB18073"}
    assert order("code") == sorted(most)
    page = client.get("/dashboard?year=2026").text
    assert (
        '<tr data-overdue="SCT"><td><a href="/agencies/SCT?year=2026">Sở Công Thương</a></td><td class="num">274</td>'
        in page
    )


def test_it_downloads_the_matrix_as_xlsx(client, tokens, cli):
    cli("done", "SNGV", "2026", "plan", "--on", "2026-01-20", "--ref", "5/KH-SNgV")
    login(client, "admin")
    response = client.get("/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content))["Ma trận 2026"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0]}
    header = [c.value for c in sheet[1]]
    plan = header.index(next(h for h in header if h and "kế hoạch" in h.lower()))
    assert rows["SNGV"][plan] == "Hoàn thành đúng hạn"
    assert rows["SCT"][plan].startswith("Quá hạn (")


def test_it_opens_a_step_form_from_a_one_click_link(client, tokens, settings, session):
    target = step_id(session, "SNGV", "internal_audit")
    url = step_link(settings, target, NOW)
    assert url.startswith("http://127.0.0.1:8000/l/")
    path = url.removeprefix("http://127.0.0.1:8000")
    form = client.get(path)
    assert form.status_code == 200 and "Số ký hiệu văn bản" in form.text
    missing = client.post(path, data={"csrf_token": csrf_of(form.text), "done_on": "2026-11-24"})
    assert missing.status_code == 422 and "bắt buộc" in missing.text
    done = client.post(
        path,
        data={"csrf_token": csrf_of(form.text), "done_on": "2026-11-24", "ref": "180/BC-SNgV"},
    )
    assert done.status_code == 200 and "Đã ghi nhận hoàn thành" in done.text
    session.expire_all()
    step = session.get(Step, target)
    assert (step.state, step.done_by) == ("done", "link:thuky.sngv@hatinh.example")
    others = find_step(session=session, agency_code="SNGV", year=2026, key="objectives_review")
    assert others.state == "open"


def test_it_refuses_an_expired_or_forged_link(client, tokens, settings, session):
    target = step_id(session, "SNGV", "annual_report")
    old = link_token(settings, target, NOW - LINK_TTL - timedelta(seconds=1))
    assert client.get(f"/l/{old}").status_code == 403
    assert "hết hạn" in client.get(f"/l/{old}").text
    fresh = link_token(settings, target, NOW)
    forged = fresh[:-3] + ("aaa" if not fresh.endswith("aaa") else "bbb")
    assert client.get(f"/l/{forged}").status_code == 403
    other_key = link_token(
        settings.model_copy(update={"secret_key": SecretStr("x" * 40)}), target, NOW
    )
    assert client.get(f"/l/{other_key}").status_code == 403


def test_it_serves_private_ical_feeds(client, tokens, settings, session):
    from models.agencies import get_agency
    from models.users import get_user

    sngv = get_agency(session=session, code="SNGV")
    token = feed_token(settings, "agency", sngv.id)
    feed = client.get(f"/ical/agency/SNGV/{token}.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    body = feed.text
    assert body.count("BEGIN:VEVENT") == 9
    assert "DTSTART;VALUE=DATE:20260223" in body  # quality_objectives after Tết
    assert client.get(f"/ical/agency/SCT/{token}.ics").status_code == 404
    assert client.get(f"/ical/agency/SNGV/{'0' * 32}.ics").status_code == 404
    # A token with a non-ASCII character is a wrong token too, not a server error.
    assert client.get("/ical/agency/SNGV/%C3%A9.ics").status_code == 404
    user = get_user(session=session, username="sec_sngv")
    mine = client.get(f"/ical/user/{user.id}/{feed_token(settings, 'user', user.id)}.ics")
    assert mine.text.count("BEGIN:VEVENT") == 18  # SNGV and its unit TTDVDN
    assert client.get(f"/ical/user/{user.id}/%C3%A9.ics").status_code == 404


def test_it_shows_a_hostile_agency_name_as_text(client, tokens):
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    created = client.post(
        "/api/v1/agencies",
        json={
            "code": "XSS",
            "name": "<script>alert(1)</script>",
            "kind": "so",
            "parent_code": "SNGV",
        },
        headers=admin,
    )
    assert created.status_code == 201
    login(client, "admin")
    for path in ("/agencies/XSS", "/agencies/SNGV", "/dashboard?year=2026&kind=so"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/agencies/XSS").text


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/dashboard?year=2025", "/dashboard?year=2025"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_it_returns_only_to_local_pages_after_login(client, tokens, target, landing):
    page = client.get("/login", params={"next": target})
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": target,
        },
    )
    assert response.headers["location"] == landing


def test_it_starts_a_new_session_at_login_and_ends_it_at_logout(client, tokens):
    before = csrf_of(client.get("/login").text)
    login(client, "admin")
    page = client.get("/dashboard")
    after = csrf_of(page.text)
    assert before != after  # the pre-login token (and session) is not carried over
    out = client.post("/logout", data={"csrf_token": after})
    assert out.headers["location"] == "/login"
    assert client.get("/dashboard").status_code == 303


def test_it_pages_the_matrix_and_the_overdue_list_but_counts_every_agency(
    client, tokens, monkeypatch
):
    monkeypatch.setattr("web.dashboard_pages.MATRIX_PAGE", 2)
    monkeypatch.setattr("web.dashboard_pages.OVERDUE_PAGE", 3)
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    assert page.count("<tr data-agency=") == 2
    assert page.count("<tr data-overdue=") == 3
    assert "Trang 1/3 (6 đơn vị)" in page and "Hiển thị 1–2/6 đơn vị" in page
    assert "Đơn vị quá hạn (6)" in page and "Trang 1/2:" in page
    assert "0/6 đơn vị đã hoàn thành, 6 quá hạn" in page
    seen = set()
    for number in (1, 2, 3):
        text = client.get(f"/dashboard?year=2026&page={number}").text
        seen |= set(re.findall(r'<tr data-agency="([^"]+)"', text))
    assert len(seen) == 6
    second = client.get("/dashboard?year=2026&opage=2").text
    assert second.count("<tr data-overdue=") == 3


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/agencies/SN%00GV", 404),
        ("/agencies/SNGV/2026/steps/pl%00an", 404),
        ("/agencies/SNGV/99999999999999999999/steps/plan", 422),
        ("/dashboard?parent=SN%00GV", 404),
        ("/dashboard?year=1", 422),
        ("/ical/agency/SN%00GV/abc.ics", 404),
    ],
)
def test_it_answers_odd_urls_without_a_server_error(client, tokens, path, status):
    login(client, "admin")
    assert client.get(path).status_code == status


def test_a_search_pasted_with_a_tab_still_finds_the_agency(client, tokens):
    """Only a NUL in a query is refused: a tab pasted from a spreadsheet is white space."""
    login(client, "admin")
    found = client.get("/dashboard?year=2026&q=SNGV%09")
    assert found.status_code == 200 and 'data-agency="SNGV"' in found.text
    assert client.get("/dashboard?year=2026&q=SN%00GV").status_code == 404


def test_it_survives_a_nul_in_the_login_form(client, tokens):
    response = login(client, "ad\x00min", "x\x00y")
    assert response.status_code == 401


def test_it_ignores_a_tampered_session_cookie(client, tokens):
    login(client, "sec_sngv")
    value = client.cookies["isocycle_session"]
    payload, signature = value.split(".", 1)
    client.cookies.clear()
    client.cookies.set("isocycle_session", payload[:-2] + "AA." + signature)
    assert client.get("/agencies/SNGV").status_code == 303  # back to the login page


def test_a_refused_address_names_the_value_in_vietnamese(client, tokens):
    login(client, "sec_sngv")
    response = client.get("/agencies/SNGV?year=1999")
    assert response.status_code == 422
    assert "Năm không hợp lệ (nhỏ nhất là 2000)." in response.text
    assert "Input should" not in response.text and "query.year" not in response.text
