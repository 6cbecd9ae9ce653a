"""Access that holds and can be taken back (issue 10, points 2, 5 and 9c): the instance's own
secret key, `serve` refusing a public or short one, key rotation, revocable API tokens, sessions
that end on the server, passwords kept off the command line, and one-click links that die with
their step."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pty
import select
import stat
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlmodel import Session, select as orm_select

from config.settings import Settings, get_settings
from models.cycles import find_step
from models.tables import HistoryEntry, Step
from models.users import ApiToken, check_password, get_user
from notifications.links import feed_token, link_token
from tests.test_serve import ISOCYCLE, Serve
from tests.web_support import NOW, bearer, csrf_of, login
from web.app import create_app

STRONG = "k" * 32  # exactly the minimum: 32 bytes
# The default key, as anyone reads it in config/settings.py.
PUBLIC_KEY = "dev-only-secret-key-not-for-production"


def forged_cookie(key: str, data: dict[str, object]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, made by someone holding `key`."""
    from itsdangerous import TimestampSigner

    return TimestampSigner(key).sign(base64.b64encode(json.dumps(data).encode())).decode()


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Record what uvicorn would serve instead of serving, so a missing refusal fails instead of
    hanging; no key comes from the environment of whoever runs the tests."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self, sockets=None: calls.append({"host": self.config.host})
    )
    monkeypatch.delenv("ISOCYCLE_SECRET_KEY", raising=False)
    monkeypatch.delenv("ISOCYCLE_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def env_file_key(directory: Path) -> str:
    from dotenv import dotenv_values

    key = dotenv_values(directory / ".env").get("ISOCYCLE_SECRET_KEY")
    assert key, "no key in .env"
    return key


# --- 2. the public default key -----------------------------------------------------------------


def test_after_init_a_cookie_or_link_forged_with_the_public_key_opens_nothing(
    database_url, tmp_path, session, tokens
):
    """The attack as it was run: `isocycle init`, `isocycle serve`, then a forged admin cookie
    and a forged one-click link, both signed with the default key printed in the source."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOCYCLE_")}
    init = subprocess.run(
        [ISOCYCLE, "--db", database_url, "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    site = Serve(database_url, tmp_path, "--no-scheduler")
    try:
        site.wait_for(site.site_answers)
        base = f"http://127.0.0.1:{site.port}"
        admin = get_user(session=session, username="admin")
        cookie = forged_cookie(PUBLIC_KEY, {"uid": str(admin.id), "ep": 0})
        board = httpx.get(f"{base}/dashboard", cookies={"isocycle_session": cookie})
        assert board.status_code == 303 and board.headers["location"].startswith("/login")
        step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
        public = Settings(_env_file=None)  # type: ignore[call-arg]
        forged = link_token(public, step.id, datetime.now(UTC))
        assert httpx.get(f"{base}/l/{forged}").status_code == 403
    finally:
        site.kill()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "0.0.0.0", "192.0.2.10"])
@pytest.mark.parametrize("key", [None, "changethis", "x", "k" * 31])
def test_serve_refuses_a_public_or_short_key_on_every_host(
    cli, engine, no_uvicorn, monkeypatch, host, key
):
    if key is not None:
        monkeypatch.setenv("ISOCYCLE_SECRET_KEY", key)
    result = cli("serve", "--host", host, "--no-scheduler")
    assert result.exit_code == 1 and no_uvicorn == []
    assert "ISOCYCLE_SECRET_KEY" in result.stderr and "isocycle init" in result.stderr
    # The refusal offers no way around it: no loopback, no proxy.
    assert "127.0.0.1" not in result.stderr and "proxy" not in result.stderr


def test_serve_accepts_a_key_of_32_bytes_on_any_host(cli, engine, no_uvicorn, monkeypatch):
    monkeypatch.setenv("ISOCYCLE_SECRET_KEY", STRONG)
    result = cli("serve", "--host", "0.0.0.0", "--no-scheduler")
    assert result.exit_code == 0, result.output
    assert no_uvicorn == [{"host": "0.0.0.0"}]


def test_serve_dev_accepts_the_default_key_on_this_machine_only(cli, engine, no_uvicorn):
    local = cli("serve", "--dev", "--host", "127.0.0.1", "--no-scheduler")
    assert local.exit_code == 0, local.output
    assert "--dev" in local.stderr  # warned
    network = cli("serve", "--dev", "--host", "0.0.0.0", "--no-scheduler")
    assert network.exit_code == 1 and "--host 0.0.0.0" in network.stderr
    assert no_uvicorn == [{"host": "127.0.0.1"}]


def test_production_refuses_a_one_character_key(cli, engine, no_uvicorn, monkeypatch):
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key=SecretStr("x"), _env_file=None)  # type: ignore[call-arg]
    Settings(environment="production", secret_key=SecretStr(STRONG), _env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("ISOCYCLE_ENVIRONMENT", "production")
    monkeypatch.setenv("ISOCYCLE_SECRET_KEY", "x")
    result = cli("serve", "--host", "127.0.0.1", "--no-scheduler")
    assert result.exit_code == 1 and "ISOCYCLE_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.output and no_uvicorn == []


def test_init_writes_a_strong_key_for_its_owner_and_keeps_it(cli, tmp_path, no_uvicorn):
    first = cli("init")
    assert first.exit_code == 0, first.output
    key = env_file_key(tmp_path)
    assert len(key.encode()) >= 48 and key not in first.output
    assert str(tmp_path / ".env") in first.stdout
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    again = cli("init")
    assert again.exit_code == 0 and env_file_key(tmp_path) == key  # never overwritten
    get_settings.cache_clear()
    assert get_settings().secret_key.get_secret_value() == key  # what serve will sign with
    served = cli("serve", "--host", "0.0.0.0", "--no-scheduler")
    assert served.exit_code == 0, served.output


def test_init_rotates_the_key_on_request_keeping_the_rest_of_env(cli, tmp_path, no_uvicorn):
    (tmp_path / ".env").write_text("ISOCYCLE_BASE_URL=https://iso.example\n", encoding="utf-8")
    cli("init")
    old = env_file_key(tmp_path)
    rotated = cli("init", "--new-secret-key")
    assert rotated.exit_code == 0, rotated.output
    new = env_file_key(tmp_path)
    assert new != old and old not in (tmp_path / ".env").read_text()
    assert "ISOCYCLE_BASE_URL=https://iso.example" in (tmp_path / ".env").read_text()
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_init_leaves_env_alone_when_the_environment_sets_the_key(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ISOCYCLE_SECRET_KEY", STRONG)
    get_settings.cache_clear()
    result = cli("init")
    get_settings.cache_clear()
    assert result.exit_code == 0 and not (tmp_path / ".env").exists()
    assert "biến môi trường" in result.stdout


def test_a_new_key_refuses_old_cookies_links_and_feeds(settings, tokens, session):
    old = settings.model_copy(update={"secret_key": SecretStr("a" * 48)})
    new = settings.model_copy(update={"secret_key": SecretStr("b" * 48)})
    step = find_step(session=session, agency_code="SNGV", year=2026, key="annual_report")
    sngv = step.agency_id
    before = create_app(old, clock=lambda: NOW)
    with TestClient(before, follow_redirects=False) as client:
        assert login(client, "admin").status_code == 303
        assert client.get("/dashboard").status_code == 200
        cookie = client.cookies["isocycle_session"]
        link = link_token(old, step.id, NOW)
        assert client.get(f"/l/{link}").status_code == 200
        feed = feed_token(old, "agency", sngv)
        assert client.get(f"/ical/agency/SNGV/{feed}.ics").status_code == 200
    before.state.engine.dispose()
    after = create_app(new, clock=lambda: NOW)
    with TestClient(after, follow_redirects=False) as client:
        client.cookies.set("isocycle_session", cookie)
        assert client.get("/dashboard").status_code == 303
        assert client.get(f"/l/{link}").status_code == 403
        assert client.get(f"/ical/agency/SNGV/{feed}.ics").status_code == 404
    after.state.engine.dispose()


def test_the_ical_feed_names_no_step_id(client, tokens, settings, session):
    feed = client.get(f"/ical/agency/SNGV/{feed_token(settings, 'agency', find_sngv(session))}.ics")
    assert feed.status_code == 200 and feed.text.count("BEGIN:VEVENT") == 9
    text = feed.text.replace("\r\n ", "")  # unfold long lines
    ids = session.exec(orm_select(Step.id)).all()
    assert ids and not [i for i in ids if str(i) in text or i.hex in text]


def find_sngv(session: Session):  # type: ignore[no-untyped-def]
    from models.agencies import get_agency

    return get_agency(session=session, code="SNGV").id


def test_demo_serves_with_a_key_of_its_own(cli, engine, no_uvicorn):
    result = cli("demo", "--today", "2026-12-02", "--serve")
    assert result.exit_code == 0, result.output
    assert no_uvicorn == [{"host": "127.0.0.1"}]
    assert "khoá ngẫu nhiên" in result.stdout


# --- 5. access that can be revoked -------------------------------------------------------------


def test_a_revoked_token_gets_401_and_the_others_keep_working(cli, tokens, client, session):
    first = tokens["sec_sngv"]
    second = cli("users", "token", "sec_sngv").stdout.strip()
    assert client.get("/api/v1/agencies", headers=bearer(first)).status_code == 200
    listing = cli("users", "tokens", "sec_sngv").stdout
    handles = [line.split()[1] for line in listing.splitlines()[2:]]
    assert len(handles) == 2
    oldest = handles[0]  # oldest first: the first token
    revoked = cli("users", "token", "sec_sngv", "--revoke", oldest)
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/agencies", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/agencies", headers=bearer(second)).status_code == 200
    assert cli("users", "token", "sec_sngv", "--revoke", oldest).exit_code == 1  # not live now
    assert cli("users", "token", "sec_sngv", "--revoke", "all").exit_code == 0
    assert client.get("/api/v1/agencies", headers=bearer(second)).status_code == 401
    history = session.exec(
        orm_select(HistoryEntry).where(HistoryEntry.action == "tokens_revoked")
    ).all()
    assert len(history) == 2


def test_the_token_list_tells_when_each_was_last_used(cli, tokens, client, session):
    assert client.get("/api/v1/agencies", headers=bearer(tokens["admin"])).status_code == 200
    listing = cli("users", "tokens").stdout
    lines = {line.split()[0]: line for line in listing.splitlines()[2:]}
    assert "24/11/2026 10:00" in lines["admin"]  # NOW in Hà Nội
    assert "chưa dùng" in lines["sec_sct"]
    used = session.exec(orm_select(ApiToken).where(ApiToken.last_used_at.is_not(None))).all()  # type: ignore[union-attr]
    assert len(used) == 1


def test_a_cookie_copied_before_logout_is_refused_after_it(client, tokens, app):
    login(client, "admin")
    copied = client.cookies["isocycle_session"]
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    with TestClient(app, follow_redirects=False) as thief:
        thief.cookies.set("isocycle_session", copied)
        response = thief.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_password_change_ends_every_session_of_the_user(cli, client, tokens, app):
    login(client, "sec_sngv")
    assert client.get("/agencies/SNGV").status_code == 200
    changed = cli("users", "password", "sec_sngv", input="mat-khau-moi-2026\n")
    assert changed.exit_code == 0, changed.output
    assert client.get("/agencies/SNGV").status_code == 303
    assert login(client, "sec_sngv").status_code == 401  # the old password
    assert login(client, "sec_sngv", "mat-khau-moi-2026").status_code == 303


def test_a_disabled_user_loses_sessions_tokens_and_login(cli, client, tokens, session):
    login(client, "sec_sngv")
    assert client.get("/agencies/SNGV").status_code == 200
    assert cli("users", "disable", "sec_sngv").exit_code == 0
    assert client.get("/agencies/SNGV").status_code == 303
    assert client.get("/api/v1/agencies", headers=bearer(tokens["sec_sngv"])).status_code == 401
    assert login(client, "sec_sngv").status_code == 401
    assert cli("users", "enable", "sec_sngv").exit_code == 0
    assert login(client, "sec_sngv").status_code == 303


def test_users_add_takes_the_password_from_stdin_never_as_an_argument(cli, province, session):
    argument = cli(
        "users", "add", "a", "--role", "admin", "--password", "mat-khau-dai", input="x\n"
    )
    assert argument.exit_code == 2 and get_user(session=session, username="a") is None
    added = cli("users", "add", "a", "--role", "admin", input="mat-khau-dai\n")
    assert added.exit_code == 0, added.output
    assert check_password(get_user(session=session, username="a").password_hash, "mat-khau-dai")
    short = cli("users", "add", "b", "--role", "admin", input="ngan\n")
    assert short.exit_code == 1 and "mật khẩu" in short.stderr
    empty = cli("users", "add", "c", "--role", "admin", input="")
    assert empty.exit_code == 1 and "mật khẩu" in empty.stderr


def test_users_add_asks_for_the_password_twice_on_a_terminal(database_url, tmp_path, province):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOCYCLE_")}
    # A real terminal, the child's controlling one, as when an operator types the command.
    pid, master = pty.fork()
    if pid == 0:  # the child
        os.chdir(tmp_path)
        os.execve(
            ISOCYCLE,
            [ISOCYCLE, "--db", database_url, "users", "add", "tty", "--role", "admin"],
            env,
        )
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    seen += os.read(master, 1024)
                except OSError:  # the child closed the terminal
                    break

    try:
        # The space after the colon comes once echo is off (getpass flushes what came before).
        read_until(b"(password): ")
        os.write(master, b"mat-khau-dai\n")
        read_until(b"(repeat): ")
        os.write(master, b"mat-khau-dai\n")
        read_until(b"created")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, seen
        assert b"mat-khau-dai" not in seen  # not echoed
    finally:
        with contextlib.suppress(ChildProcessError, ProcessLookupError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(master)
    with Session(make_engine_for(database_url)) as s:
        assert check_password(get_user(session=s, username="tty").password_hash, "mat-khau-dai")


def make_engine_for(url: str):  # type: ignore[no-untyped-def]
    from models.db import make_engine

    return make_engine(url)


# --- 9c. a one-click link dies with its step -----------------------------------------------------


def test_a_one_click_link_stops_working_once_its_step_is_done(client, tokens, settings, session):
    step = find_step(session=session, agency_code="SNGV", year=2026, key="internal_audit")
    path = f"/l/{link_token(settings, step.id, NOW)}"
    form = client.get(path)
    assert form.status_code == 200
    done = client.post(
        path, data={"csrf_token": csrf_of(form.text), "done_on": "2026-11-24", "ref": "180/BC"}
    )
    assert done.status_code == 200 and "Đã ghi nhận hoàn thành" in done.text
    again = client.get(path)
    assert again.status_code == 303
    assert again.headers["location"] == "/agencies/SNGV/2026/steps/internal_audit"
    overwrite = client.post(
        path, data={"csrf_token": csrf_of(form.text), "done_on": "2026-11-20", "ref": "SAI/BC"}
    )
    assert overwrite.status_code == 303
    session.expire_all()
    kept = session.get(Step, step.id)
    assert (kept.ref, kept.done_on.isoformat()) == ("180/BC", "2026-11-24")
    # The way on: sign in, and the step's own page changes the evidence.
    to_login = client.get(again.headers["location"])
    assert to_login.headers["location"].startswith("/login?next=/agencies/SNGV/2026/steps/")
    page = client.get(to_login.headers["location"])
    assert "liên kết trong e-mail không dùng được nữa" in page.text
    login(client, "sec_sngv")
    assert client.get(again.headers["location"]).status_code == 200
