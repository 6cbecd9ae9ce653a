"""Fixtures for the web tests: an app on this test's database, a fixed clock, and one account
per role on the small province (named personas, as in healthchecks' alice/bob/charlie)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from config.settings import Settings
from models.users import create_user, hash_password, issue_token
from web.app import create_app

# 10:00 in Hà Nội on TODAY (24/11/2026): annual_report (20/11) is overdue, objectives_review
# (15/12) is pending.
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
PASSWORD = "mat-khau-2026"
# username → (role, agency code)
PERSONAS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "sup_sngv": ("supervisor", "SNGV"),
    "sec_sngv": ("secretary", "SNGV"),
    "sec_sct": ("secretary", "SCT"),
    "view_sngv": ("viewer", "SNGV"),
    "view_all": ("viewer", None),
}


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings, clock=lambda: NOW)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def tokens(
    session: Session, opened_2026: None, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Create every persona and return username → API token."""
    # A real argon2 hash, computed once per run: hashing is slow by design.
    monkeypatch.setattr(
        "models.users.hash_password", lambda p: password_hash if p == PASSWORD else hash_password(p)
    )
    out = {}
    for username, (role, agency) in PERSONAS.items():
        user = create_user(
            session=session, username=username, password=PASSWORD, role=role, agency_code=agency
        )
        out[username] = issue_token(session=session, user=user)
    return out


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
