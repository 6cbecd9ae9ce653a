"""Security headers on every answer (issue 10, point 9): a strict CSP, no framing, no sniffing,
no referrer, HSTS over https only; and the dashboard's parent filter tells no codes apart."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web_support import NOW, login
from web.app import create_app
from web.headers import CSP, HSTS, script_hashes

PAGES = ["/login", "/dashboard?year=2026", "/agencies/SNGV", "/api/v1/openapi.json", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(client, tokens, path):
    login(client, "admin")
    response = client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain http


def test_no_template_has_inline_script_style_or_event_handlers():
    from pathlib import Path

    for template in (Path(__file__).parent.parent / "web" / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", text), template.name


def test_the_swagger_page_allows_only_its_own_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    (allowed,) = script_hashes(response.text)
    assert (
        f"script-src 'self' {allowed};" in policy
        and "'unsafe-inline';" not in policy.split("style-src")[0]
    )
    assert "frame-ancestors 'none'" in policy


def test_it_sends_hsts_over_https_only(settings, tokens):
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as secure:
        assert secure.get("/login").headers["strict-transport-security"] == HSTS
    app.state.engine.dispose()


def test_it_believes_https_from_a_trusted_proxy_only(settings, tokens):
    app = create_app(settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"}
    with TestClient(app, client=("127.0.0.1", 40000)) as via_proxy:
        assert "strict-transport-security" in via_proxy.get("/login", headers=forwarded).headers
    with TestClient(app, client=("198.51.100.7", 40000)) as direct:
        assert "strict-transport-security" not in direct.get("/login", headers=forwarded).headers
    app.state.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard?year=2026&parent=",
        "/dashboard.xlsx?year=2026&parent=",
        "/dashboard/list?year=2026&parent=",
    ],
)
def test_a_parent_outside_the_scope_answers_as_an_unknown_one(client, tokens, url):
    login(client, "sec_sngv")
    # HATINH and SCT exist but lie outside Sở Ngoại vụ's subtree; NOPE does not exist.
    outside = [client.get(url + code) for code in ("HATINH", "SCT")]
    unknown = [client.get(url + code) for code in ("NOPE01", "NOPE")]
    for response, code in zip(outside + unknown, ["HATINH", "SCT", "NOPE01", "NOPE"], strict=True):
        assert response.status_code == 404
        assert response.text.replace(code, "CODE") == unknown[1].text.replace("NOPE", "CODE")
    assert client.get(url + "SNGV").status_code == 200  # within the scope, as before


def test_a_group_outside_the_scope_answers_as_an_unknown_one(client, tokens):
    """The drill-down's `group` (agencies directly under a parent) leaks no more than `parent`."""
    login(client, "sec_sngv")
    url = "/dashboard/list?year=2026&group="
    unknown = client.get(url + "NOPE")
    assert unknown.status_code == 400
    for code in ("SCT", "SKHCN"):  # exist, but nothing of theirs is Sở Ngoại vụ's
        response = client.get(url + code)
        assert response.status_code == 400
        assert response.text.replace(code, "CODE") == unknown.text.replace("NOPE", "CODE")
    # Sở Ngoại vụ sits directly under HATINH, so that group is hers to open.
    assert client.get(url + "HATINH").status_code == 200


def test_the_admin_still_filters_by_any_parent(client, tokens):
    login(client, "admin")
    assert client.get("/dashboard?year=2026&parent=HATINH").status_code == 200
    assert client.get("/dashboard?year=2026&parent=NOPE").status_code == 404
