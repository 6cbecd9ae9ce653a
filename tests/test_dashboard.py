"""The overseer's dashboard for a province: bars per step, kind and parent with percentages, the
steps behind every count, the matrix grouped under parents, an empty year, and the .xlsx."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from models import progress
from models.tables import AGENCY, STEP
from tests.web_support import login


@pytest.fixture
def plan_done(cli) -> None:
    """Kế hoạch (due 02/02/2026): SNGV on time, SCT eight days late, the four others overdue."""
    cli("done", "SNGV", "2026", "plan", "--on", "2026-01-20", "--ref", "5/KH-SNgV")
    cli("done", "SCT", "2026", "plan", "--on", "2026-02-10", "--ref", "7/KH-SCT")


def row_of(page: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr {attribute}="{re.escape(value)}">.*?</tr>', page, re.S)
    assert found, f"no row {attribute}={value}"
    return found.group(0)


def figure(row: str, status: str) -> tuple[str, str, str]:
    """The (link, count, percent) of one status under a bar."""
    found = re.search(
        rf'<a class="fig {status}" href="([^"]+)" data-status="{status}">[^<]*<b>(\d+)</b> · (\d+)%',
        row,
    )
    assert found, f"no {status} figure"
    link, count, percent = found.groups()
    return html.unescape(link), count, percent


def listed(client, link: str) -> list[tuple[str, str]]:
    page = client.get(link)
    assert page.status_code == 200, page.text
    return re.findall(r'<tr data-row="([^"]+)" data-status="([^"]+)">', page.text)


def test_each_step_shows_done_late_and_overdue_with_percentages_and_the_list_behind_them(
    client, tokens, plan_done
):
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    plan = row_of(page, "data-step", "plan")
    assert "2/6 đơn vị đã hoàn thành, 4 quá hạn" in plan
    assert '<rect class="done"' in plan and '<rect class="late"' in plan
    done, late, overdue = (figure(plan, s) for s in ("done", "late", "overdue"))
    assert [x[1:] for x in (done, late, overdue)] == [("1", "17"), ("1", "17"), ("4", "67")]
    assert listed(client, done[0]) == [("SNGV", "done")]
    assert listed(client, late[0]) == [("SCT", "late")]
    assert [code for code, _ in listed(client, overdue[0])] == [
        "HATINH",
        "SKHCN",
        "TTDVDN",
        "UB18073",
    ]
    late_page = client.get(late[0]).text
    assert "Hoàn thành trễ hạn 8 ngày" in late_page and "10/02/2026" in late_page
    assert "7/KH-SCT" in late_page and 'href="/agencies/SCT?year=2026"' in late_page


def test_it_counts_by_kind_and_by_parent_and_lists_the_steps_behind_each_count(
    client, tokens, plan_done
):
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    link, count, _ = figure(row_of(page, "data-kind", "so"), "overdue")
    codes = {code for code, _ in listed(client, link)}
    assert codes == {"SKHCN", "SNGV", "SCT"} and int(count) > 0
    # SNGV's only unit is TTDVDN; the agencies with no parent are HATINH alone.
    link, count, _ = figure(row_of(page, "data-parent", "SNGV"), "overdue")
    rows = listed(client, link)
    assert {code for code, _ in rows} == {"TTDVDN"} and len(rows) == int(count)
    link, _, _ = figure(row_of(page, "data-parent", ""), "overdue")
    assert {code for code, _ in listed(client, link)} == {"HATINH"}
    total_link = re.search(r'<a href="(/dashboard/list\?[^"]*status=overdue[^"]*)"><b>(\d+)', page)
    assert total_link is not None and total_link.group(2) == "6"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=xong", "Không có trạng thái «xong»"),
        ("step=khong-co", "Năm 2026 không có bước «khong-co»"),
        ("kind=tinh", "Không có loại đơn vị «tinh»"),
        ("group=KHONGCO", "Không có đơn vị cấp trên mã «KHONGCO»"),
    ],
)
def test_an_unknown_filter_gets_a_vietnamese_message(client, tokens, query, message):
    login(client, "admin")
    response = client.get(f"/dashboard/list?year=2026&{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.text)


def test_a_secretary_lists_only_her_agencies(client, tokens, plan_done):
    login(client, "sec_sngv")
    assert {c for c, _ in listed(client, "/dashboard/list?year=2026&step=plan")} == {
        "SNGV",
        "TTDVDN",
    }
    assert listed(client, "/dashboard/list?year=2026&step=plan&top=1") == []
    page = client.get("/dashboard?year=2026").text
    assert "2 đơn vị" in page and 'data-agency="SCT"' not in page


def test_the_matrix_groups_agencies_under_their_parent_collapsed_with_a_search(client, tokens):
    login(client, "admin")
    page = client.get("/dashboard?year=2026").text
    groups = re.findall(r'<details class="group"( open)? data-group="([^"]*)">', page)
    assert groups == [("", ""), ("", "HATINH"), ("", "SNGV")]  # none open
    sngv = page[page.index('data-group="SNGV"') :]
    assert '<tr data-agency="TTDVDN">' in sngv and "Sở Ngoại vụ" in sngv
    # Accents and case do not matter; the code matches too.
    found = client.get("/dashboard?year=2026&q=ngoai+VU").text
    assert re.findall(r'<tr data-agency="([^"]+)"', found) == ["SNGV"]
    found = client.get("/dashboard?year=2026&q=ttdv").text
    assert re.findall(r'<tr data-agency="([^"]+)"', found) == ["TTDVDN"]
    assert "Không có đơn vị nào khớp «xyz»" in client.get("/dashboard?year=2026&q=xyz").text


def test_a_year_with_no_cycle_says_so_and_how_to_open_it(client, tokens, cli):
    login(client, "admin")
    page = client.get("/dashboard?year=2027").text
    assert "Chưa mở chu kỳ năm 2027" in page
    assert "<code>isocycle cycle open 2027</code>" in page
    assert "<table" not in page
    # The advice works.
    assert cli("cycle", "open", "2027").exit_code == 0
    page = client.get("/dashboard?year=2027").text
    assert "Chưa mở chu kỳ" not in page and '<tr data-step="plan">' in page


def test_the_xlsx_has_real_dates_numbers_a_frozen_header_and_filters(client, tokens, plan_done):
    login(client, "admin")
    book = load_workbook(io.BytesIO(client.get("/dashboard.xlsx?year=2026").content))
    assert book.sheetnames == ["Tổng hợp 2026", "Chi tiết 2026", "Ma trận 2026"]

    summary = book["Tổng hợp 2026"]
    header = [c.value for c in summary[1]]
    assert header[:5] == ["Bước", "Hạn", "Hoàn thành đúng hạn", "Hoàn thành trễ hạn", "Quá hạn"]
    plan = next(
        r
        for r in summary.iter_rows(min_row=2)
        if r[0].value == "Ban hành kế hoạch duy trì, cải tiến HTQLCL năm"
    )
    assert plan[1].value == datetime(2026, 2, 2) and plan[1].number_format == "DD/MM/YYYY"
    assert [c.value for c in plan[2:5]] == [1, 1, 4]
    total = next(r for r in summary.iter_rows() if r[0].value == "Tổng số")
    assert all(isinstance(c.value, int) for c in total[2:])
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref

    detail = book["Chi tiết 2026"]
    header = [c.value for c in detail[1]]
    assert header[4] == "Hạn" and header[6] == "Ngày hoàn thành"
    assert header[8] == "Số ký hiệu văn bản"
    assert detail.freeze_panes == "A2" and detail.auto_filter.ref == f"A1:I{detail.max_row}"
    assert detail.column_dimensions["B"].width == 40
    sct = next(
        r
        for r in detail.iter_rows(min_row=2)
        if r[0].value == "SCT" and r[3].value.startswith("Ban hành kế hoạch")
    )
    assert sct[4].value == datetime(2026, 2, 2) and sct[4].number_format == "DD/MM/YYYY"
    assert sct[5].value == "Hoàn thành trễ hạn"
    assert sct[6].value == datetime(2026, 2, 10) and sct[6].number_format == "DD/MM/YYYY"
    assert (sct[7].value, sct[8].value) == (8, "7/KH-SCT")
    overdue = next(
        r for r in detail.iter_rows(min_row=2) if r[0].value == "SKHCN" and r[5].value == "Quá hạn"
    )
    assert isinstance(overdue[7].value, int) and overdue[7].value > 0 and overdue[6].value is None

    matrix = book["Ma trận 2026"]
    assert matrix.freeze_panes == "C2" and matrix.auto_filter.ref


def test_the_plain_status_conditions_agree_with_the_status_on_edge_dates(session, opened_2026):
    """Each step's status as the bars count it (one CASE) and as the lists find it (the plain
    conditions the index serves), on the day of a deadline and of an agency's last day."""
    today = date(2026, 2, 2)  # plan's deadline
    plan = (STEP.c.key == "plan") & STEP.c.agency_id.in_(
        select(AGENCY.c.id).where(AGENCY.c.code.in_(["SNGV", "SCT"]))
    )
    session.execute(update(STEP).where(plan).values(state="done", done_on=STEP.c.due, ref="1"))
    late = (STEP.c.key == "steering_committee") & STEP.c.agency_id.in_(
        select(AGENCY.c.id).where(AGENCY.c.code == "SNGV")
    )
    session.execute(update(STEP).where(late).values(state="done", done_on=today, ref="2"))
    # UB18073's last day is today (still in operation); SKHCN's was yesterday (gone).
    session.execute(update(AGENCY).where(AGENCY.c.code == "UB18073").values(valid_to=today))
    yesterday = today - timedelta(days=1)
    session.execute(update(AGENCY).where(AGENCY.c.code == "SKHCN").values(valid_to=yesterday))
    session.execute(update(STEP).where(STEP.c.key == "steering_committee").values(due=yesterday))
    session.commit()

    base = select(AGENCY.c.code, STEP.c.key).join_from(
        STEP, AGENCY, AGENCY.c.id == STEP.c.agency_id
    )
    by_case = {
        status: set(session.execute(base.where(progress.status_of(today) == status)).all())
        for status in progress.STATUSES
    }
    for status in progress.STATUSES:
        plain = set(session.execute(base.where(progress.status_is(status, today))).all())
        assert plain == by_case[status], status
    assert ("SNGV", "plan") in by_case["done"] and ("HATINH", "plan") in by_case["pending"]
    assert ("SNGV", "steering_committee") in by_case["late"]
    assert ("UB18073", "steering_committee") in by_case["overdue"]
    assert ("SKHCN", "steering_committee") in by_case["stopped"]
