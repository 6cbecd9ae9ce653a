"""Every view counts overdue agencies the same way, per year, and says which year(s) it covers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from models import progress
from models.agencies import upsert_agencies
from models.cycles import open_cycle
from models.reminders import DELIVERY, load_policy, queue_overseer_digest
from models.tables import AGENCY, STEP
from models.users import Scope, create_user
from notifications.messages import render_digest
from notifications.outbox import digest_pass
from tests.web_support import PASSWORD, login
from web.app import create_app

TODAY = date(2026, 3, 2)  # a Monday: week 10
NOW = datetime.combine(TODAY, time(8, 0), ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(UTC)
ADMIN = Scope(role="admin", agency_ids=None)


def set_done(session, year: int, codes: list[str], but: str = "") -> None:
    """Mark every step of the year of these agencies done on its deadline, except key `but`."""
    ids = select(AGENCY.c.id).where(AGENCY.c.code.in_(codes))
    session.execute(
        update(STEP)
        .where(STEP.c.year == year, STEP.c.agency_id.in_(ids), STEP.c.key != but)
        .values(state="done", done_on=STEP.c.due, ref="x")
    )
    session.commit()


@pytest.fixture
def two_years(province, session, rules) -> None:
    """2026: four agencies overdue. 2025: all done but Sở Công Thương's annual report, and
    Thuận Lộc, closed on 30/6/2025, left its early steps open."""
    upsert_agencies(
        session=session,
        header=["code", "name", "kind", "active", "valid_from", "valid_to"],
        data=[["XTHUANLOC", "UBND xã Thuận Lộc", "ubnd_xa", "0", "2018-01-01", "2025-06-30"]],
    )
    open_cycle(session=session, year=2025, rules=rules)
    open_cycle(session=session, year=2026, rules=rules)
    everyone = ["HATINH", "SKHCN", "SNGV", "TTDVDN", "SCT", "UB18073"]
    set_done(session, 2025, [c for c in everyone if c != "SCT"])
    set_done(session, 2025, ["SCT"], but="annual_report")
    set_done(session, 2026, ["SNGV", "SCT"])


def test_the_digest_counts_each_year_as_the_dashboard_does_and_names_the_years(
    session, two_years, settings, sink
):
    everyone = progress.select_agencies(session=session, scope=ADMIN)

    def late(year: int) -> list[str]:
        total, rows = progress.late_agencies(
            session=session, selection=everyone, year=year, today=TODAY, sort="code"
        )
        assert total == len(rows)
        return [r.code for r in rows]

    def board(year: int) -> progress.Overview:
        return progress.overview(session=session, selection=everyone, year=year, today=TODAY)

    assert late(2026) == ["HATINH", "SKHCN", "TTDVDN", "UB18073"]
    # Thuận Lộc no longer exists: nobody is reminded or chased about it, in any view.
    assert late(2025) == ["SCT"]
    # The counts the SQL makes agree with the list, per step and in total.
    board_2025, board_2026 = board(2025), board(2026)
    assert {c.key: c.counts["overdue"] for c in board_2025.steps if c.counts["overdue"]} == {
        "annual_report": 1
    }
    assert {c.key: c.counts["overdue"] for c in board_2026.steps if c.counts["overdue"]} == (
        dict.fromkeys(("plan", "steering_committee", "quality_objectives"), 4)
    )
    assert board_2026.totals["overdue"] == 12 and board_2025.totals["overdue"] == 1
    # Thuận Lộc's open steps of 2025 are neither overdue nor pending: it is gone.
    assert board_2025.totals["stopped"] > 0
    assert sum(k.counts["overdue"] for k in board_2026.kinds) == 12
    assert sum(p.counts["overdue"] for p in board_2026.parents) == 12

    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port})
    digest_pass(session=session, settings=smtp, policy=load_policy(), now=NOW)
    (mail,) = sink.received
    # 4 agencies × (plan, steering committee, quality objectives) in 2026.
    assert mail.subject == (
        "Tổng hợp tuần 10/2026: năm 2026 có 12 việc ISO quá hạn của 4 đơn vị; "
        "năm 2025 có 1 việc ISO quá hạn của 1 đơn vị"
    )
    text = mail.text
    assert "Thư này gồm các năm 2025 và 2026" in text
    assert "=== Năm 2026: 12 việc quá hạn của 4 đơn vị ===" in text
    assert "=== Năm 2025: 1 việc quá hạn của 1 đơn vị ===" in text
    assert text.index("=== Năm 2026") < text.index("=== Năm 2025") < text.index("Báo cáo năm")
    assert "Thuận Lộc" not in text
    assert "Năm 2026: <strong>12</strong> việc quá hạn của <strong>4</strong> đơn vị" in mail.html


def test_a_digest_with_nothing_overdue_names_the_year_it_covers(session, province, settings):
    queue_overseer_digest(session=session, today=TODAY, now=NOW, overseer_code="SKHCN")
    payload = session.execute(select(DELIVERY.c.payload)).scalar_one()
    assert payload == {"years": [2026], "groups": []}
    mail = render_digest(
        to="a@b.vn", to_name=None, cc=[], payload=payload, as_of=TODAY, settings=settings
    )
    assert mail.subject == "Tổng hợp tuần 10/2026: năm 2026 có 0 việc ISO quá hạn của 0 đơn vị"
    assert "Thư này gồm năm 2026" in mail.text and "Không có việc nào quá hạn." in mail.text


def test_a_digest_queued_before_the_years_were_named_is_split_by_year(settings):
    row = {"code": "SCT", "name": "Sở Công Thương", "key": "plan", "title": "Kế hoạch"}
    payload = {
        "groups": [
            {
                "parent_code": None,
                "parent_name": None,
                "rows": [
                    {**row, "year": 2025, "due": "2025-11-20", "days_overdue": 102},
                    {**row, "year": 2026, "due": "2026-02-02", "days_overdue": 28},
                ],
            }
        ]
    }
    mail = render_digest(
        to="a@b.vn", to_name=None, cc=[], payload=payload, as_of=TODAY, settings=settings
    )
    assert "năm 2026 có 1 việc" in mail.subject and "năm 2025 có 1 việc" in mail.subject


@pytest.fixture
def overseer(settings, session) -> Iterator[TestClient]:
    """A browser signed in as an admin, on a site whose clock reads NOW."""
    create_user(session=session, username="admin", password=PASSWORD, role="admin")
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "admin")
        yield client
    app.state.engine.dispose()


def test_status_and_xlsx_give_the_dashboard_figure_for_the_year(session, two_years, cli, overseer):
    out = cli("status", "2026", "--today", TODAY.isoformat()).output
    assert "Năm 2026, tính đến 02/03/2026: 4 đơn vị có 12 việc quá hạn" in out
    out = cli("status", "2025", "--today", TODAY.isoformat()).output
    assert "Năm 2025, tính đến 02/03/2026: 1 đơn vị có 1 việc quá hạn" in out

    page = overseer.get("/dashboard?year=2026").text
    assert "<b>4</b> đơn vị có <b>12</b> việc quá hạn" in page
    xlsx = overseer.get("/dashboard.xlsx?year=2026").content
    sheet = load_workbook(io.BytesIO(xlsx))["Tổng hợp 2026"]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[:2] == ["Đơn vị quá hạn năm 2026 (tính đến 02/03/2026)", 4]
