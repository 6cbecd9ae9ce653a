"""The inspection pages in a real browser (Debian's chromium via Playwright) on the demo
province: the inspecting unit's plan and an agency's page fit a 390 px phone and a 1366 px
laptop, and an agency files its report-back through the form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, expect

from models.demo import load_demo
from models.users import DEMO_PASSWORD, create_demo_users
from tests.conftest import TODAY
from tests.test_web_browser import chromium, free_port, serve, sign_in
from tests.test_web_widths import MEASURE
from tests.web_support import NOW

PHONE, LAPTOP = 390, 1366
# Set to a directory to keep the pictures (they are looked at by hand); default: the test's tmp.
SHOTS_ENV = "ISOCYCLE_INSPECTION_SHOTS"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_the_inspection_pages_fit_and_take_a_report_back(
    settings,
    session,
    rules,
    browser: Browser,
    tmp_path: Path,
    width: int,
):
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(NOW):
        load_demo(session=session, rules=rules, today=TODAY)
        create_demo_users(session=session)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve(settings.model_copy(update={"base_url": base}), port):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
        page = context.new_page()
        sign_in(page, base, "skhcn", DEMO_PASSWORD)
        page.goto(f"{base}/inspections/SKHCN/2026")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Kế hoạch kiểm tra HTQLCL năm 2026"
        )
        expect(page.locator('tr[data-agency="SYT"] .badge')).to_have_text(
            "Đã kiểm tra, muộn so với kế hoạch"
        )
        expect(page.locator('tr[data-agency="SXD"] .badge')).to_have_text("Quá kỳ, chưa kiểm tra")
        expect(page.get_by_role("button", name="Ghi nhận biên bản")).to_be_visible()
        page.screenshot(path=str(shots / f"inspections-plan-{width}.png"), full_page=True)
        page.screenshot(path=str(shots / f"inspections-plan-top-{width}.png"))
        seen = page.evaluate(MEASURE)
        assert seen["width"] <= width and seen["overlaps"] == [], seen

        context.clear_cookies()
        sign_in(page, base, "thuky.sct", DEMO_PASSWORD)
        page.goto(f"{base}/agencies/SCT/2026/inspections")
        expect(page.locator('td[data-report="overdue"]')).to_contain_text(
            "Quá hạn báo cáo khắc phục"
        )
        page.screenshot(path=str(shots / f"inspections-agency-{width}.png"), full_page=True)
        seen = page.evaluate(MEASURE)
        assert seen["width"] <= width and seen["overlaps"] == [], seen
        page.get_by_label("Số báo cáo").fill("52/BC-SCT")
        page.get_by_label("Ngày báo cáo").fill("20/11/2026")
        page.get_by_role("button", name="Ghi nhận báo cáo").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Đã ghi nhận báo cáo kết quả khắc phục 52/BC-SCT (muộn so với hạn 18/08/2026)."
        )
        expect(page.locator('td[data-report="done_late"]')).to_contain_text(
            "52/BC-SCT ngày 20/11/2026"
        )
        context.close()
