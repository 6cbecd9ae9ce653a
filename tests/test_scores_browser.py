"""The 7.2 score page in a real browser: a secretary scores with a reason, Sở KH&CN reviews, and
the page fits 1366 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from models.users import create_user
from tests.test_web_browser import SCREENSHOTS_ENV, browser, page, sign_in, site  # noqa: F401  (fixtures)
from tests.web_support import PASSWORD


def test_a_secretary_scores_sở_khcn_reviews_and_the_page_fits_both_widths(  # noqa: F811
    site,  # noqa: F811
    tokens,
    session,
    page,  # noqa: F811
    tmp_path,
):
    base, _ = site
    create_user(
        session=session, username="sec_skhcn", password=PASSWORD, role="secretary",
        agency_code="SKHCN",
    )  # fmt: skip
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    sign_in(page, base, "sec_sngv")
    page.goto(f"{base}/agencies/SNGV?year=2026")
    page.get_by_role("link", name="Tự chấm điểm tiêu chí 7.2").click()
    expect(page).to_have_url(f"{base}/agencies/SNGV/2026/score")
    row = page.locator('tr[data-criterion="7.2.2"]')
    expect(row.locator("[data-suggested]")).to_have_text("0")
    form = page.locator("#self-score")
    form.get_by_label("Điểm tự chấm").nth(1).fill("0,5")
    form.get_by_role("button", name="Lưu điểm tự chấm").click()
    # Points above the suggestion without a reason are refused, naming the criterion.
    expect(page.get_by_role("alert")).to_contain_text("Tiêu chí 7.2.2")
    form = page.locator("#self-score")
    form.get_by_label("Lý do").nth(1).fill("Đã ban hành 05 quy trình nội bộ")
    form.get_by_role("button", name="Lưu điểm tự chấm").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu điểm tự chấm")
    expect(row.locator("[data-self]")).to_have_text("0,5")
    expect(row).to_contain_text("Đã ban hành 05 quy trình nội bộ")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(shots / "score-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "score-390.png"), full_page=True)
    page.screenshot(path=str(shots / "score-390-top.png"))
    # Sở KH&CN's secretary reviews the same criterion down to 0.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, base, "sec_skhcn")
    page.goto(f"{base}/agencies/SNGV/2026/score")
    review = page.locator("#review-score")
    review.get_by_label("Điểm thẩm định").nth(1).fill("0")
    review.get_by_label("Lý do").nth(1).fill("Kiểm tra chỉ thấy 02 quy trình")
    review.get_by_role("button", name="Lưu điểm thẩm định").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu điểm thẩm định")
    expect(row.locator("[data-reviewed]")).to_have_text("0")
    expect(row.locator("[data-points]")).to_have_text("0")
    expect(page.locator("#self-score")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "score-review-390.png"), full_page=True)
    page.locator("#review-score").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "score-review-390-form.png"))
