"""Dates in a real browser whose language is English: the step form still reads and shows
dd/mm/yyyy (Debian's chromium through Playwright, against uvicorn)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from config.settings import Settings
from models.cycles import find_step, open_cycle
from tests.test_web_browser import browser, free_port, sign_in  # noqa: F401  (browser: a fixture)
from web.app import create_app

# 10:00 in Hà Nội on 20/01/2027: the 2027 plan (due 01/02/2027) can be dated 19/01/2027.
JAN_20 = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)


@contextmanager
def serve_at(settings: Settings, port: int, now: datetime) -> Iterator[str]:
    """Run the app with its clock at `now` on 127.0.0.1:port; yield its base URL."""
    app = create_app(settings, clock=lambda: now)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@pytest.fixture
def site_2027(settings, session, rules, tokens) -> Iterator[str]:
    open_cycle(session=session, year=2027, rules=rules)
    with serve_at(settings, free_port(), JAN_20) as base:
        yield base


@pytest.fixture
def english_page(browser) -> Iterator[Page]:  # noqa: F811
    # An English browser shows <input type="date"> as mm/dd/yyyy: the form must not depend on it.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    yield context.new_page()
    context.close()


def test_the_step_form_shows_and_accepts_19_01_2027_in_an_english_browser(
    site_2027, english_page, session
):
    page, base = english_page, site_2027
    sign_in(page, base, "sec_sngv")
    page.goto(f"{base}/agencies/SNGV/2027/steps/plan")
    field = page.get_by_label("Ngày ban hành / hoàn thành")
    expect(field).to_have_value("20/01/2027")  # today, as every page writes it
    expect(field).to_have_attribute("placeholder", "dd/mm/yyyy")
    # The browser checks the pattern too (an invalid pattern would be ignored silently).
    field.fill("19-01")
    assert field.evaluate("e => e.validity.patternMismatch")
    field.fill("19/01/2027")
    assert field.evaluate("e => e.checkValidity()")
    page.get_by_label("Số ký hiệu văn bản").fill("46/KH-SNgV")
    page.get_by_role("button", name="Ghi nhận hoàn thành").click()
    expect(page.get_by_role("status")).to_contain_text("Đã ghi nhận hoàn thành")
    row = page.locator('tr[data-step="plan"]')
    expect(row.locator(".badge")).to_have_text("Đã hoàn thành")
    expect(row).to_contain_text("19/01/2027")
    session.expire_all()
    step = find_step(session=session, agency_code="SNGV", year=2027, key="plan")
    assert step.done_on is not None and f"{step.done_on:%d/%m/%Y}" == "19/01/2027"
