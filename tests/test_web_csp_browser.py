"""In a real browser, every page works under the Content-Security-Policy: no violation is
reported, the stylesheet applies, and the API's Swagger UI still renders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.test_web_browser import chromium, free_port, serve, sign_in

PAGES = [
    "/dashboard?year=2026",
    "/agencies/SNGV?year=2026",
    "/agencies/SNGV/2026/steps/annual_report",
    "/agencies/SNGV/2026/audits",
    "/agencies/SNGV/2026/objectives",
    "/agencies/SNGV/2026/review",
    "/agencies/NOPE",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_pages_and_the_api_docs_raise_no_csp_violation(settings, tokens, browser):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve(settings.model_copy(update={"base_url": base}), port):
        context = browser.new_context(locale="vi-VN")
        page = context.new_page()
        reports: list[str] = []
        page.on(
            "console", lambda m: reports.append(m.text) if "Content Security" in m.text else None
        )
        # The violation event reaches the page even where the console says nothing.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.log('Content Security violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
        )
        sign_in(page, base, "admin")
        for path in PAGES:
            response = page.goto(base + path)
            assert response is not None and "content-security-policy" in response.headers
            # style.css applied: the header bar is not the browser's default transparent.
            header = page.locator("header").first
            assert header.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        page.goto(base + "/api/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("isocycle API")
        page.locator(".opblock-summary").first.click()  # Swagger's own scripts respond
        expect(page.locator(".opblock-body").first).to_be_visible()
        context.close()
    assert reports == []
