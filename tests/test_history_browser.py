"""The agency page's history on a 390 px phone: every change in words, nothing wider than the screen."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser

from tests.test_history_surfaces import VERIFIED, _verified_action
from tests.test_web_browser import SCREENSHOTS_ENV, browser, sign_in, site  # noqa: F401


def test_the_history_reads_on_a_phone(site, tokens, session, rules, browser: Browser, tmp_path):  # noqa: F811
    base, _ = site
    _verified_action(session, rules)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, base, "sec_sngv")
        page.goto(f"{base}/agencies/SNGV?year=2026")
        history = page.locator("table.history")
        history.scroll_into_view_if_needed()
        text = history.inner_text()
        assert VERIFIED in text
        assert "None" not in text and "True" not in text and "owner_email" not in text
        # No sideways scrolling: the page and the history fit the phone's width.
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.querySelector('table.history').getBoundingClientRect().right]"
        )
        assert widths[0] <= 390 and widths[1] <= 390, widths
        shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
        history.screenshot(path=str(shots / "history-390.png"))
        page.set_viewport_size({"width": 1366, "height": 900})
        history.screenshot(path=str(shots / "history-1366.png"))
    finally:
        context.close()
