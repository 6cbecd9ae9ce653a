"""Dates and numbers as Vietnamese offices write them: dd/mm/yyyy whatever the browser's locale,
a plan issued the autumn before its year, and the decimal comma (98,7) in and out."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from models.cycles import find_step
from models.iso import QualityObjective
from tests.web_support import csrf_of, login
from web.app import vn_number
from web.pages import parse_vn_date

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
PLAN = "/agencies/SNGV/2026/steps/plan"
OBJECTIVES = "/agencies/SNGV/2026/objectives"
# Every page with a date field, for the secretary of SNGV on 24/11/2026.
DATE_PAGES = [
    PLAN,
    "/agencies/SNGV/2026/audits",
    OBJECTIVES,
    "/agencies/SNGV/2026/review",
]


def signed_in(client, page: str) -> str:
    login(client, "sec_sngv")
    response = client.get(page)
    assert response.status_code == 200
    return csrf_of(response.text)


def date_inputs(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<input [^>]*>", html) if 'placeholder="dd/mm/yyyy"' in tag]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("19/01/2027", date(2027, 1, 19)),
        (" 1/7/2025 ", date(2025, 7, 1)),
        ("19.01.2027", date(2027, 1, 19)),
        ("19-01-2027", date(2027, 1, 19)),
        ("19012027", date(2027, 1, 19)),  # a phone's number pad has no "/"
        ("2027-01-19", date(2027, 1, 19)),  # ISO, as older pages and scripts send
        ("01/19/2027", None),  # month first: there is no 19th month
        ("30/02/2026", None),
        ("19/01/27", None),
        ("19/01/1899", None),
        ("", None),
        ("hôm qua", None),
    ],
)
def test_it_reads_dates_as_vietnamese_write_them(text, day):
    assert parse_vn_date(text) == day


def test_no_template_leaves_the_date_format_to_the_browser():
    # <input type="date"> shows mm/dd/yyyy in an English Chromium, whatever the page says.
    for template in TEMPLATES.glob("*.html"):
        html = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)
        assert 'type="date"' not in html, template.name


@pytest.mark.parametrize("path", DATE_PAGES)
def test_every_date_field_reads_and_shows_dd_mm_yyyy(client, tokens, path):
    login(client, "sec_sngv")
    fields = date_inputs(client.get(path).text)
    assert fields, f"{path} has no date field"
    for tag in fields:
        assert 'type="text"' in tag and 'inputmode="numeric"' in tag and "pattern=" in tag
        value = re.search(r'value="([^"]*)"', tag)
        assert value and re.fullmatch(r"(\d\d/\d\d/\d{4})?", value.group(1)), tag


def test_the_step_form_shows_today_as_dd_mm_yyyy(client, tokens):
    signed_in(client, PLAN)
    [field] = date_inputs(client.get(PLAN).text)
    assert 'name="done_on"' in field and 'value="24/11/2026"' in field


@pytest.mark.parametrize("typed", ["01/12/2025", "1.12.2025", "01122025", "2025-12-01"])
def test_a_plan_issued_in_december_counts_for_next_year(client, tokens, session, typed):
    csrf = signed_in(client, PLAN)
    response = client.post(PLAN, data={"done_on": typed, "ref": "46/KH-SNgV", "csrf_token": csrf})
    assert response.status_code == 303, response.text
    step = find_step(session=session, agency_code="SNGV", year=2026, key="plan")
    session.refresh(step)
    assert (step.state, step.done_on) == ("done", date(2025, 12, 1))
    assert "01/12/2025" in client.get("/agencies/SNGV?year=2026").text


@pytest.mark.parametrize(
    ("path", "typed", "message"),
    [
        (PLAN, "30/09/2025", "không được trước ngày 01/10/2025"),
        ("/agencies/SNGV/2026/steps/internal_audit", "31/12/2025", "trước ngày 01/01/2026"),
        (PLAN, "12/31/2025", "Ngày ban hành / hoàn thành: “12/31/2025” không hợp lệ"),
    ],
)
def test_a_refused_date_names_the_field_or_the_earliest_date(client, tokens, path, typed, message):
    csrf = signed_in(client, path)
    response = client.post(path, data={"done_on": typed, "ref": "46/KH-SNgV", "csrf_token": csrf})
    assert response.status_code == 422 and message in response.text
    # The field shows what was typed, for the secretary to correct.
    assert f'value="{typed}"' in response.text


def test_the_audit_form_names_the_date_field_it_refuses(client, tokens):
    path = "/agencies/SNGV/2026/audits"
    csrf = signed_in(client, path)
    form = {"kind": "internal", "start_on": "5/10", "end_on": "07/10/2026", "ref": "25/BC"}
    response = client.post(path, data=form | {"csrf_token": csrf})
    assert response.status_code == 422
    assert "Ngày bắt đầu: “5/10” không hợp lệ, xin nhập ngày/tháng/năm" in response.text


def test_numbers_use_the_decimal_comma_both_ways(client, tokens, session):
    csrf = signed_in(client, OBJECTIVES)
    rows = {"indicator_1": "Hồ sơ đúng hạn", "comparison_1": ">=", "target_1": "98,5"}
    rows |= {"unit_1": "%", "mid_value_1": "97.25", "final_value_1": ""}
    assert client.post(OBJECTIVES, data=rows | {"csrf_token": csrf}).status_code == 303
    results = {"mid_1": "97,3", "final_1": "98,7", "results_on": "", "csrf_token": csrf}
    assert client.post(f"{OBJECTIVES}/results", data=results).status_code == 303
    [objective] = session.exec(select(QualityObjective)).all()
    assert (objective.target, objective.mid_value, objective.final_value) == (98.5, 97.3, 98.7)
    page = client.get(OBJECTIVES).text
    assert "≥ 98,5 %" in page
    assert 'name="mid_1"' in page and 'value="97,3"' in page and 'value="98,7"' in page
    assert "98.7" not in page and "98.5" not in page


def test_a_number_it_cannot_read_is_refused_by_its_label(client, tokens):
    csrf = signed_in(client, OBJECTIVES)
    rows = {"indicator_1": "Hồ sơ đúng hạn", "comparison_1": ">=", "target_1": "98", "unit_1": ""}
    assert client.post(OBJECTIVES, data=rows | {"csrf_token": csrf}).status_code == 303
    results = {"mid_1": "97,3,1", "final_1": "", "csrf_token": csrf}
    response = client.post(f"{OBJECTIVES}/results", data=results)
    assert response.status_code == 422
    assert "Kết quả 6 tháng của mục tiêu 1 «97,3,1» không phải là số." in response.text


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (98.7, 10, "98,7"),
        (98.0, 10, "98"),
        (0.25, 10, "0,25"),
        (98.123, 2, "98,12"),
        (None, 10, ""),
    ],
)
def test_vn_number_writes_the_decimal_comma(value, digits, shown):
    assert vn_number(value, digits) == shown


def test_the_objectives_decision_of_the_autumn_before_completes_the_year(client, tokens, session):
    csrf = signed_in(client, OBJECTIVES)
    decision = {"ref": "12/QĐ-SNgV", "issued_on": "15/12/2025", "csrf_token": csrf}
    assert client.post(f"{OBJECTIVES}/decision", data=decision).status_code == 303
    step = find_step(session=session, agency_code="SNGV", year=2026, key="quality_objectives")
    session.refresh(step)
    assert (step.state, step.done_on) == ("done", date(2025, 12, 15))
    assert 'value="15/12/2025"' in client.get(OBJECTIVES).text


def test_the_api_takes_a_plan_of_the_autumn_before_and_names_the_earliest_date(client, tokens):
    url = "/api/v1/agencies/SNGV/cycles/2026/steps/{}/complete"
    headers = {"Authorization": f"Bearer {tokens['sec_sngv']}"}
    body = {"done_on": "2025-12-01", "ref": "46/KH-SNgV"}
    assert client.post(url.format("plan"), json=body, headers=headers).status_code == 200
    refused = client.post(url.format("internal_audit"), json=body, headers=headers)
    assert refused.status_code == 422
    assert "before 01/01/2026, the earliest completion date" in refused.json()["detail"]
