"""The dossier upload and the period figures in a real browser, at desktop and phone widths."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests import test_web_browser
from tests.test_procedures import csv_bytes
from tests.test_web_browser import sign_in

SHOTS_ENV = "ISOCYCLE_PROCEDURE_SHOTS"
# The real browser and the served app, as the other browser tests have them.
browser = test_web_browser.browser
site = test_web_browser.site


def test_the_upload_shows_row_errors_then_the_figures_fit_a_phone(
    site, tokens, session, browser, tmp_path
):
    from datetime import date

    from models import iso

    for code, kind in (("HD-01", "HDHT"), ("QT-01", "QTNB"), ("QT-01", "QTNB"), ("TT-01", "tthc")):
        iso.issue_procedure(
            session=session,
            agency_code="SNGV",
            kind=kind,
            code=code,
            title="Quy trình cấp, gia hạn hộ chiếu ngoại giao và hộ chiếu công vụ",
            decision_ref="31/QĐ-SNgV",
            decision_on=date(2021, 9, 25),
            actor="t",
            today=date(2026, 11, 24),
        )
    base, _ = site
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    bad = tmp_path / "dvc.csv"
    bad.write_bytes(
        csv_bytes(
            [[1, "SNGV", "Sở Ngoại vụ", 73, 0, 70, 0, 0, 73], [2, "KHONGCO", "", 1, 0, 1, 0, 0, 1]]
        )
    )
    good = tmp_path / "dvc-dung.csv"
    good.write_bytes(csv_bytes([[1, "SNGV", "Sở Ngoại vụ", 10000, 0, 9998, 2, 0, 10000]]))
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
        page = context.new_page()
        sign_in(page, base, "sec_sngv")
        page.goto(f"{base}/dossier-import")
        page.get_by_label("Kỳ báo cáo").fill("2026")
        page.get_by_label("Tệp số liệu").set_input_files(str(bad))
        page.get_by_role("button", name="Nhập").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Dòng 2, cột «Số hồ sơ tiếp nhận»")
        expect(alert).to_contain_text("Dòng 3, cột «Mã đơn vị»: không có đơn vị mã «KHONGCO»")
        page.screenshot(path=str(shots / f"dossier-import-errors-{width}.png"), full_page=True)
        page.get_by_label("Kỳ báo cáo").fill("2026")
        page.get_by_label("Tệp số liệu").set_input_files(str(good))
        page.get_by_role("button", name="Nhập").click()
        expect(page.get_by_role("status")).to_contain_text("Đã nhập 1 dòng")
        page.goto(f"{base}/agencies/SNGV/periods/2026/figures")
        expect(page.locator("table.dossiers")).to_contain_text("10.000")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the page is {scroll} px wide at {width} px"
        page.screenshot(path=str(shots / f"period-figures-{width}.png"), full_page=True)
        page.goto(f"{base}/agencies/SNGV/procedures")
        expect(page.locator("table.counts")).to_contain_text("Quy trình nội bộ (QTNB)")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"procedures-{width}.png"), full_page=True)
        context.close()
