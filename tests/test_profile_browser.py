"""The QMS profile page in a real browser: the forms record, and it fits 1366 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.test_web_browser import SCREENSHOTS_ENV, browser, page, sign_in, site  # noqa: F401  (fixtures)


def test_a_secretary_records_a_re_announcement_and_sees_it_at_both_widths(  # noqa: F811
    site,  # noqa: F811
    tokens,
    page,  # noqa: F811
    tmp_path,
):
    base, _ = site
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    sign_in(page, base, "sec_sngv")
    page.goto(f"{base}/agencies/SNGV")
    page.get_by_role("link", name="Xem, cập nhật hồ sơ HTQLCL").click()
    expect(page).to_have_url(f"{base}/agencies/SNGV/profile")
    page.get_by_label("Tiêu chuẩn áp dụng").select_option("2015")
    page.get_by_label("Năm áp dụng ISO 9001:2008").fill("2009")
    page.get_by_label("Năm chuyển đổi sang ISO 9001:2015").fill("2018")
    page.get_by_role("button", name="Lưu hồ sơ HTQLCL").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu hồ sơ HTQLCL")
    form = page.locator("form", has=page.get_by_role("button", name="Ghi nhận quyết định công bố"))
    form.get_by_label("Loại").select_option("re_announcement")
    form.get_by_label("Số quyết định", exact=True).fill("25/QĐ-SNgV")
    form.get_by_label("Ngày quyết định").fill("16/07/2021")
    form.get_by_label("Số văn bản thông báo").fill("412/SNgV-VP")
    form.get_by_label("Ngày thông báo").fill("20/07/2021")
    form.get_by_label("Nơi nhận thông báo (mã đơn vị)").fill("SKHCN")
    form.get_by_label("Ngày niêm yết tại trụ sở").fill("19/07/2021")
    form.get_by_role("button", name="Ghi nhận quyết định công bố").click()
    expect(page.get_by_role("status")).to_contain_text("25/QĐ-SNgV")
    table = page.locator("table.announcements")
    expect(table).to_contain_text("25/QĐ-SNgV ngày 16/07/2021")
    expect(table).to_contain_text("412/SNgV-VP ngày 20/07/2021 gửi SKHCN")
    expect(page.locator("footer")).to_contain_text("TCVN ISO 9001:2015")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(shots / "profile-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "profile-390.png"), full_page=True)
