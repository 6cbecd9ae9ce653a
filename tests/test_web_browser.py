"""End to end in a real browser: Debian's chromium driven by Playwright, against uvicorn."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from config.settings import Settings
from models.calendar import RuleSet
from models.cycles import find_step, open_cycle
from models.demo import load_demo
from models.users import create_demo_users
from notifications.links import step_link
from tests.conftest import TODAY
from tests.web_support import NOW, PASSWORD
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `make screenshots` points this at docs/screenshots to update the README's pictures; a plain test
# run writes them to its temporary directory and leaves the tree as it was.
SCREENSHOTS_ENV = "ISOCYCLE_SCREENSHOTS"
README_SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings, port: int) -> Iterator[None]:
    """Run the app with uvicorn in a background thread on 127.0.0.1:port."""
    app = create_app(settings, clock=lambda: NOW)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@pytest.fixture
def site(settings: Settings) -> Iterator[tuple[str, Settings]]:
    """The app on a free port; yields its base URL and settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = settings.model_copy(update={"base_url": base})
    with serve(served, port):
        yield base, served


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless; skips the test where it is missing, except in CI."""
    if not Path(CHROMIUM).exists():
        # CI installs it (.ci/run) and must run these tests; a developer's machine may lack it.
        if os.environ.get("CI") or os.environ.get(SCREENSHOTS_ENV):
            pytest.fail(
                "CI and `make screenshots` need Debian's chromium (apt-get install chromium)"
            )
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    yield context.new_page()
    context.close()


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_it_lets_a_secretary_mark_a_step_done_that_the_overseer_sees(site, tokens, browser, page):
    base, _ = site
    sign_in(page, base, "sec_sngv")
    expect(page).to_have_url(f"{base}/agencies/SNGV")
    row = page.locator('tr[data-step="internal_audit"]')
    expect(row.locator(".badge")).to_have_text("Quá hạn")
    row.get_by_role("link", name="Đánh dấu hoàn thành").click()
    page.get_by_label("Số ký hiệu văn bản").fill("25/BC-ĐGNB")
    page.get_by_label("Ngày ban hành / hoàn thành").fill("2026-11-24")
    page.get_by_label("Ghi chú").fill("Đánh giá toàn bộ phòng")
    page.get_by_role("button", name="Ghi nhận hoàn thành").click()
    expect(page.get_by_role("status")).to_contain_text("Đã ghi nhận hoàn thành")
    expect(row.locator(".badge")).to_have_text("Đã hoàn thành")
    expect(row).to_contain_text("25/BC-ĐGNB")

    overseer = browser.new_context().new_page()
    sign_in(overseer, base, "admin")
    overseer.goto(f"{base}/dashboard?year=2026")
    cell = overseer.locator('tr[data-agency="SNGV"] td[data-step="internal_audit"]')
    expect(cell).to_have_class("done")
    expect(overseer.locator('.counts tr[data-step="internal_audit"] .count')).to_have_text(
        "1/6 đơn vị đã hoàn thành, 5 quá hạn"
    )
    overseer.context.close()


def test_it_shows_403_to_a_secretary_of_another_agency(site, tokens, page):
    base, _ = site
    sign_in(page, base, "sec_sngv")
    response = page.goto(f"{base}/agencies/SCT/2026/steps/plan")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading")).to_contain_text("Không có quyền truy cập")


def test_it_completes_a_step_from_a_one_click_link(site, tokens, session, page):
    base, settings = site
    step = find_step(session=session, agency_code="SCT", year=2026, key="internal_audit")
    page.goto(step_link(settings, step.id, NOW))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đánh giá nội bộ")
    expect(page.get_by_text("liên kết chỉ dùng cho bước này")).to_be_visible()
    page.get_by_label("Số ký hiệu văn bản").fill("90/BC-SCT")
    page.get_by_role("button", name="Ghi nhận hoàn thành").click()
    expect(page.get_by_role("status")).to_contain_text("90/BC-SCT")
    session.expire_all()
    assert find_step(session=session, agency_code="SCT", year=2026, key="internal_audit").ref == (
        "90/BC-SCT"
    )


def test_it_shows_a_script_agency_name_as_text(site, tokens, client, session, rules, page):
    base, _ = site
    created = client.post(
        "/api/v1/agencies",
        json={"code": "XSS", "name": "<script>alert(1)</script>", "kind": "so"},
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert created.status_code == 201
    open_cycle(session=session, year=2026, rules=rules)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, base, "admin")
    for path in ("/agencies/XSS", "/dashboard?year=2026"):
        page.goto(base + path)
        expect(page.get_by_text("<script>alert(1)</script>").first).to_be_visible()
    assert dialogs == []


def test_it_takes_the_readme_screenshots(settings, session, rules: RuleSet, browser, tmp_path):
    # A fixed clock (history times) and public address (feed URL) keep the pictures the same from run to run.
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    readme_before = {p.name: p.read_bytes() for p in README_SHOTS.glob("*.png")}
    with time_machine.travel(NOW):
        load_demo(session=session, rules=rules, today=TODAY)
        create_demo_users(session=session)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    public = settings.model_copy(update={"base_url": "https://iso.hatinh.gov.vn"})
    shots.mkdir(parents=True, exist_ok=True)
    with serve(public, port):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        page = context.new_page()
        sign_in(page, base, "admin", "demo-isocycle")
        page.goto(f"{base}/dashboard?year=2026")
        expect(page.locator(".counts").first).to_contain_text("đơn vị đã hoàn thành")
        page.screenshot(path=str(shots / "dashboard.png"))
        context.clear_cookies()
        sign_in(page, base, "thuky.sngv", "demo-isocycle")
        expect(page).to_have_url(f"{base}/agencies/SNGV")
        # The feed token is derived from the agency's random id: masked.
        feed = page.locator(".feed input")
        page.screenshot(path=str(shots / "secretary.png"), full_page=True, mask=[feed])
        page.goto(f"{base}/agencies/SNGV/2026/audits")
        expect(page.locator("table.findings")).to_be_visible()
        page.screenshot(path=str(shots / "audits.png"), full_page=True)
        context.close()
    assert (shots / "dashboard.png").stat().st_size > 10_000
    if shots.resolve() != README_SHOTS:  # only `make screenshots` changes the README's copies
        assert {p.name: p.read_bytes() for p in README_SHOTS.glob("*.png")} == readme_before


def test_it_records_an_audit_with_a_finding_through_the_form(site, tokens, page):
    base, _ = site
    sign_in(page, base, "sec_sngv")
    page.locator('tr[data-step="internal_audit"]').get_by_role("link", name="Hồ sơ").click()
    expect(page).to_have_url(f"{base}/agencies/SNGV/2026/audits")
    expect(page.locator('.severity-counts td[data-severity="major"]')).to_have_text("0")
    page.get_by_label("Ngày bắt đầu").fill("2026-10-05")
    page.get_by_label("Ngày kết thúc").fill("2026-10-07")
    page.get_by_label("Số báo cáo / biên bản").fill("25/BC-ĐGNB")
    page.get_by_label("Mức độ 1").select_option("major")
    page.get_by_label("Điều khoản 1").fill("8.5.1")
    page.get_by_label("Bộ phận 1").fill("Phòng Lãnh sự")
    page.get_by_label("Mô tả 1").fill("Hồ sơ trễ hạn không có phiếu xin lỗi")
    page.get_by_role("button", name="Ghi nhận cuộc đánh giá").click()
    expect(page.get_by_role("status")).to_contain_text("với 1 phát hiện")
    expect(page.locator('.severity-counts td[data-severity="major"]')).to_have_text("1")
    expect(page.locator('.severity-counts td[data-severity="minor"]')).to_have_text("0")
    expect(page.locator('tr[data-finding="1"]')).to_contain_text("Phòng Lãnh sự")
    page.get_by_role("link", name="Sở Ngoại vụ").first.click()
    expect(page.locator('tr[data-step="internal_audit"] .badge')).to_have_text("Đã hoàn thành")


def test_the_api_docs_show_every_operation_from_this_server_alone(site, page):
    base, _ = site
    elsewhere: list[str] = []

    def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(f"{base}/api/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(p.replace("\u200b", "") == "/api/v1/agencies" for p in paths), paths
    assert len(paths) >= 10
    assert elsewhere == []
