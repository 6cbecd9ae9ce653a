"""Every page of the site fits a 390 px phone and a 1366 px laptop: no sideways scroll of the
page, and a header whose brand and links never overlap. Debian's chromium through Playwright, on
the demo province with a fixed clock, each page seen by the persona who uses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlmodel import Session

from config.settings import Settings
from flows import jobs
from models.calendar import load_rule_set
from models.db import make_engine
from models.demo import load_demo
from models.tables import AGENCY, STEP, STEP_OPEN
from models.users import DEMO_PASSWORD, create_demo_users
from notifications.links import step_link
from tests.conftest import TODAY, fresh_database_url
from tests.test_web_browser import chromium, free_port, serve, sign_in
from tests.web_support import NOW

PHONE, PHONE_SIDEWAYS, LAPTOP = 390, 844, 1366
SECRETARY = "thuky.sngv"  # the demo secretary of Sở Ngoại vụ (SNGV), which has every record


@dataclass
class DemoSite:
    base: str
    step_link: str  # a reminder's one-click link to an overdue step
    shots: Path
    # Links to other overdue steps, one used up by each completion: a done step's link is spent.
    spare_links: list[str]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def demo_site(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo province served once for the module, with two weeks of reminders written to the
    outbox and a failed pass after them, so the reminder log shows mails and the failure notice."""
    work = tmp_path_factory.mktemp("widths")
    settings = Settings(  # type: ignore[call-arg]
        database_url=fresh_database_url(template_url, work),
        mail_outbox_dir=work / "outbox",
        _env_file=None,
    )
    engine = make_engine(settings.database_url)
    with time_machine.travel(NOW), Session(engine) as session:
        load_demo(session=session, rules=load_rule_set(), today=TODAY)
        create_demo_users(session=session)
        step_id, *spare = session.execute(
            select(STEP.c.id)
            .join(AGENCY, AGENCY.c.id == STEP.c.agency_id)
            .where(STEP.c.year == TODAY.year, STEP.c.state == STEP_OPEN, STEP.c.due < TODAY)
            .where(STEP.c.key == STEP.c.step_type)
            .order_by(STEP.c.due, AGENCY.c.code)
            .limit(7)
        ).scalars()
        assert step_id is not None and len(spare) == 6, "the demo leaves some steps overdue"
    engine.dispose()
    for days_ago in range(14, -1, -1):  # two weeks of daily passes: several stages per step
        at = NOW - timedelta(days=days_ago)
        jobs.run_recorded("send-reminders", settings, runner="test", now=at, clock=lambda at=at: at)
    broken = settings.model_copy(update={"reminder_policy_file": work / "khong-co-tep.toml"})
    with pytest.raises(Exception, match="khong-co-tep"):
        jobs.run_recorded("send-reminders", broken, runner="test", now=NOW, clock=lambda: NOW)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = settings.model_copy(update={"base_url": base})
    with serve(served, port):
        yield DemoSite(
            base, step_link(served, step_id, NOW), work, [step_link(served, s, NOW) for s in spare]
        )


def _go(persona: str | None, path: str) -> Callable[[Page, DemoSite], None]:
    def visit(page: Page, site: DemoSite) -> None:
        if persona:
            sign_in(page, site.base, persona, DEMO_PASSWORD)
        page.goto(site.base + path)

    return visit


def _link_form(page: Page, site: DemoSite) -> None:
    page.goto(site.step_link)
    expect(page.get_by_text("liên kết chỉ dùng cho bước này")).to_be_visible()


def _link_done(page: Page, site: DemoSite) -> None:
    page.goto(site.spare_links.pop())
    expect(page.get_by_text("liên kết chỉ dùng cho bước này")).to_be_visible()
    page.get_by_label("Số ký hiệu văn bản").fill("215/BC-SNgV")
    page.get_by_role("button", name="Ghi nhận hoàn thành").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đã ghi nhận hoàn thành")


def _dashboard_open(page: Page, site: DemoSite) -> None:
    """The dashboard with every group of the matrix opened, as an overseer reading it would."""
    _go("admin", "/dashboard?year=2026")(page, site)
    page.locator("details.group > summary").first.wait_for()
    page.evaluate("() => document.querySelectorAll('details.group').forEach(d => d.open = true)")


def _api_docs(page: Page, site: DemoSite) -> None:
    page.goto(site.base + "/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()


# name → how the person who uses that page reaches it.
PAGES: dict[str, Callable[[Page, DemoSite], None]] = {
    "login": _go(None, "/login"),
    "dashboard": _go("admin", "/dashboard?year=2026"),
    "dashboard_matrix_open": _dashboard_open,
    "dashboard_secretary": _go(SECRETARY, "/dashboard?year=2026"),
    "dashboard_list": _go("admin", "/dashboard/list?year=2026&status=overdue"),
    "dashboard_no_cycle": _go("admin", "/dashboard?year=2027"),
    "agency": _go(SECRETARY, "/agencies/SNGV"),
    "agency_with_units": _go("admin", "/agencies/HATINH?year=2026"),
    "step_form": _go(SECRETARY, "/agencies/SNGV/2026/steps/annual_report"),
    "step_form_by_record": _go(SECRETARY, "/agencies/SNGV/2026/steps/corrective_actions"),
    "reports": _go(SECRETARY, "/reports"),
    # Sở KH&CN's list for letter 1550/SKHCN-TĐC (seed 004), every agency it asked.
    # Sở KH&CN sees the document buttons (issue 12): the dashboard's and each letter's.
    "dashboard_skhcn": _go("skhcn", "/dashboard?year=2026"),
    "reports_skhcn": _go("skhcn", "/reports"),
    "reports_letter": _go("skhcn", "/reports/letter?unit=SKHCN&letter=1550%2FSKHCN-T%C4%90C"),
    # Letter 1753 (seed 001): Sở Ngoại vụ's report 177/BC-SNgV waits for its receipt.
    "reports_letter_sent": _go("skhcn", "/reports/letter?unit=SKHCN&letter=1753"),
    "audits": _go(SECRETARY, "/agencies/SNGV/2026/audits"),
    "objectives": _go(SECRETARY, "/agencies/SNGV/2026/objectives"),
    "review": _go(SECRETARY, "/agencies/SNGV/2026/review"),
    # Seed 001's training, budget, directing documents and inspections (issue 11).
    "activities": _go(SECRETARY, "/agencies/SNGV/activities/2021"),
    # Phường Nam Hồng Lĩnh cites xã Thuận Lộc, which it replaced on 1/7/2025.
    "agency_lineage": _go("admin", "/agencies/UB18118"),
    # SNGV itself is up to date; its unit TTDVDN has overdue steps, and so reminders.
    "reminder_log": _go(SECRETARY, "/agencies/TTDVDN/reminders"),
    "error_403": _go(SECRETARY, "/agencies/SCT"),
    "error_404": _go(SECRETARY, "/agencies/KHONGCO"),
    "link_form": _link_form,
    "link_done": _link_done,
    "api_docs": _api_docs,
}

# Chromium draws a page wider than its viewport only when something overflows; the page must not
# hide that overflow either.
MEASURE = """() => {
  const style = (e) => getComputedStyle(e).overflowX;
  const items = [...document.querySelectorAll(
      'header .brand, header nav a, header nav .who, header nav button')]
    .filter((e) => e.getClientRects().length)
    .map((e) => [e.textContent.trim(), e.getBoundingClientRect()]);
  const overlaps = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      const [a, r] = items[i], [b, s] = items[j];
      if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1)
        overlaps.push(a + ' / ' + b);
    }
  return {
    width: document.documentElement.scrollWidth,
    hidden: [style(document.documentElement), style(document.body)].filter(
      (v) => v === 'hidden' || v === 'clip'),
    overlaps,
  };
}"""


@pytest.mark.parametrize("width", [PHONE, PHONE_SIDEWAYS, LAPTOP])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_fits_the_screen(demo_site: DemoSite, browser: Browser, name: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    try:
        page = context.new_page()
        PAGES[name](page, demo_site)
        page.wait_for_load_state("networkidle")
        shot = demo_site.shots / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        seen = page.evaluate(MEASURE)
    finally:
        context.close()
    assert seen["width"] <= width, f"{name} is {seen['width']} px wide at {width} px: see {shot}"
    assert seen["hidden"] == [], f"{name} hides its overflow instead of fitting"
    assert seen["overlaps"] == [], f"{name}: header items overlap at {width} px: see {shot}"


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_the_matrix_header_stays_in_view_while_its_box_scrolls(
    demo_site: DemoSite, browser: Browser, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 420}, locale="vi-VN")
    try:
        page = context.new_page()
        _dashboard_open(page, demo_site)
        box = page.locator(".matrix-box").filter(has=page.locator("tbody tr:nth-child(4)")).first
        header = box.locator("thead th").first
        assert header.evaluate("e => getComputedStyle(e).position") == "sticky"
        box.evaluate("e => e.scrollTop = 120")
        box_top = box.evaluate("e => e.getBoundingClientRect().top")
        assert box.evaluate("e => e.scrollTop") > 0, "the matrix box does not scroll"
        assert abs(header.evaluate("e => e.getBoundingClientRect().top") - box_top) < 2
    finally:
        context.close()
