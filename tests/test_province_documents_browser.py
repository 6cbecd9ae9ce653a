"""Sở KH&CN's document buttons in a real browser (Debian's chromium via Playwright) on the demo
province: the overseer downloads the summary, Phụ lục II, the chasing letter and a request
letter, and each file opens; a secretary sees none of the buttons."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page

from models.demo import load_demo
from models.users import DEMO_PASSWORD, create_demo_users
from tests.conftest import TODAY
from tests.docx_checks import docx_text
from tests.test_web_browser import chromium, free_port, serve, sign_in
from tests.web_support import NOW


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def download(page: Page, name: str) -> tuple[str, bytes]:
    """Click the button named `name`; return the file's suggested name and its bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name).first.click()
    got = info.value
    path = got.path()
    assert path is not None
    return got.suggested_filename, Path(path).read_bytes()


def test_skhcn_downloads_its_documents_from_the_pages(settings, session, rules, browser) -> None:
    with time_machine.travel(NOW):
        load_demo(session=session, rules=rules, today=TODAY)
        create_demo_users(session=session)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve(settings.model_copy(update={"base_url": base}), port):
        context = browser.new_context(accept_downloads=True, locale="vi-VN")
        page = context.new_page()
        sign_in(page, base, "thuky.sngv", DEMO_PASSWORD)
        page.goto(f"{base}/dashboard?year=2026")
        assert page.get_by_role("link", name="Tải báo cáo tổng hợp (.docx)").count() == 0
        page.goto(f"{base}/reports")
        assert page.get_by_role("link", name="Tải công văn (.docx)").count() == 0

        context.clear_cookies()
        sign_in(page, base, "skhcn", DEMO_PASSWORD)
        page.goto(f"{base}/dashboard?year=2026")
        name, data = download(page, "Tải báo cáo tổng hợp (.docx)")
        assert name == "Báo cáo tổng hợp ISO 2026.docx"
        text = docx_text(data)
        assert "Kính gửi: Ủy ban nhân dân tỉnh Hà Tĩnh." in text
        assert "III. NHỮNG TỒN TẠI" in text and "số liệu đến ngày 24/11/2026" in text
        name, data = download(page, "Tải Phụ lục II (.xlsx)")
        assert name == "Phụ lục II năm 2026.xlsx"
        sheet = load_workbook(io.BytesIO(data))["Phụ lục II"]
        codes = [row[0] for row in sheet.iter_rows(min_row=5, values_only=True)]
        assert "SNGV" in codes and len(codes) == len(set(codes))
        name, data = download(page, "Tải công văn đôn đốc (.docx)")
        assert name == "Công văn đôn đốc 2026.docx"
        assert "còn chậm thực hiện các nội dung" in docx_text(data)
        page.goto(f"{base}/reports")
        name, data = download(page, "Tải công văn (.docx)")
        assert name.startswith("Công văn ") and name.endswith(".docx")
        assert "ĐỀ CƯƠNG BÁO CÁO" in docx_text(data)
        context.close()
