"""The agency report's page in a real browser: the secretary reaches it from the report page,
types the prose, saves, and the downloaded .docx holds it; the page fits 390 px."""

from __future__ import annotations

import io
import os
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.docx_checks import docx_text
from tests.test_web_browser import SCREENSHOTS_ENV, browser, sign_in, site  # noqa: F401  (fixtures)


def test_a_secretary_types_the_prose_and_downloads_the_report(  # noqa: F811
    site,  # noqa: F811
    tokens,
    browser,  # noqa: F811
    tmp_path,
):
    base, _ = site
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, base, "sec_sngv")
    page.goto(f"{base}/reports")
    row = page.locator('tr[data-step="annual_report"]')
    row.get_by_role("link", name="Soạn, tải báo cáo (.docx)").click()
    expect(page).to_have_url(f"{base}/reports/document?agency=SNGV&year=2026&period=annual")
    page.get_by_label("Thuận lợi").fill("Lãnh đạo quan tâm, chỉ đạo sát sao.")
    page.get_by_label("Kiến nghị, đề xuất").fill("Đề nghị Sở KH&CN tổ chức tập huấn.")
    page.get_by_label("Số báo cáo").fill("5/BC-SNgV")
    page.get_by_label("Ngày báo cáo").fill("05/02/2026")
    page.get_by_label("Ký thay").fill("KT. Giám đốc")
    page.get_by_label("Chức vụ người ký").fill("Phó Giám đốc")
    page.get_by_label("Người ký", exact=True).fill("Ngô Thị Hoài Nam")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu phần viết của báo cáo")
    expect(page.get_by_label("Thuận lợi")).to_have_value("Lãnh đạo quan tâm, chỉ đạo sát sao.")
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "agency-report-390.png"), full_page=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải báo cáo (.docx)").click()
    download = got.value
    assert download.suggested_filename == "Bao-cao-ISO-SNGV-2026.docx"
    text = docx_text(Path(download.path()).read_bytes())
    assert "Lãnh đạo quan tâm, chỉ đạo sát sao." in text
    assert "Đề nghị Sở KH&CN tổ chức tập huấn." in text
    assert "Số: 05/BC-SNgV" in text and "Hà Tĩnh, ngày 05 tháng 02 năm 2026" in text
    assert "KT. GIÁM ĐỐC" in text and "Ngô Thị Hoài Nam" in text
    assert "[Phần do cơ quan viết: những khó khăn" in text  # not typed: still marked
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải phụ lục (.xlsx)").click()
    assert got.value.suggested_filename == "Phu-luc-ISO-SNGV-2026.xlsx"
    book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert book.sheetnames == ["Phụ lục IA", "Phụ lục IIA", "Phụ lục IIA (chuyển đổi)", "Phụ lục 1"]
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(shots / "agency-report-1366.png"), full_page=True)
    context.close()
