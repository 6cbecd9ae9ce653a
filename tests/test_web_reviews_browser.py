"""The management-review page in a real browser: two reviews of a year, the one held before the
internal audit recorded with its warning, at desktop and phone widths (Debian's chromium)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from models import iso
from tests.test_web_browser import (  # noqa: F401  (browser, page, site: fixtures)
    SCREENSHOTS_ENV,
    browser,
    page,
    sign_in,
    site,
)

REVIEW = "/agencies/SNGV/2026/review"


def test_two_reviews_and_the_warning(site, tokens, page, session, tmp_path):  # noqa: F811
    base, _ = site
    sign_in(page, base, "sec_sngv")
    page.goto(f"{base}{REVIEW}")
    expect(page.get_by_text("Chưa ghi nhận cuộc họp xem xét năm 2026.")).to_be_visible()
    page.get_by_label("Ngày họp").fill("03/05/2026")
    page.get_by_label("Số biên bản").fill("05/BB-SNgV")
    page.get_by_label("Quyết định, kết luận").fill("Tiếp tục duy trì, cải tiến HTQLCL")
    page.get_by_role("button", name="Ghi nhận cuộc họp xem xét").click()
    expect(page.get_by_role("status").first).to_contain_text("số 1. Lưu ý: Cuộc họp xem xét")
    iso.record_audit(
        session=session,
        agency_code="SNGV",
        year=2026,
        start_on=date(2026, 10, 5),
        end_on=date(2026, 10, 7),
        ref="25/BC-ĐGNB",
        team=None,
        scope_units=[],
        findings=[],
        actor="sec_sngv",
        today=date(2026, 11, 24),
    )
    page.get_by_label("Ngày họp").fill("20/11/2026")
    page.get_by_label("Số biên bản").fill("12/BB-SNgV")
    page.get_by_role("button", name="Ghi nhận cuộc họp xem xét").click()
    expect(page.locator('[data-review="2"]')).to_contain_text("20/11/2026")
    warning = page.locator('[data-review="1"] [data-review-warning]')
    expect(warning).to_contain_text("diễn ra trước đánh giá nội bộ (ngày 07/10/2026)")
    expect(page.locator('[data-review="2"] [data-review-warning]')).to_have_count(0)
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"reviews-{width}.png"), full_page=True)
        # Nothing runs off a phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
