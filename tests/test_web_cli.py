"""`isocycle users add|token|demo`: accounts and API tokens from the command line."""

from __future__ import annotations

from sqlmodel import select

from models.users import ApiToken, check_password, get_user, hash_token


def test_it_adds_a_secretary_with_a_hashed_password(cli, province, session):
    result = cli(
        "users",
        "add",
        "thuky",
        "--role",
        "secretary",
        "--agency",
        "SNGV",
        input="mat-khau-dai\n",
    )
    assert result.exit_code == 0, result.stderr
    user = get_user(session=session, username="thuky")
    assert user.role == "secretary" and user.password_hash.startswith("$argon2")
    assert check_password(user.password_hash, "mat-khau-dai")
    assert not check_password(user.password_hash, "mat-khau-sai")


def test_it_names_the_bad_field(cli, province):
    cases = [
        (["users", "add", "a", "--role", "boss"], "12345678", "--role"),
        (["users", "add", "a", "--role", "secretary"], "12345678", "--agency"),
        (["users", "add", "a", "--role", "secretary", "--agency", "NOPE"], "12345678", "--agency"),
        (["users", "add", "a", "--role", "admin"], "short", "mật khẩu"),
    ]
    for args, password, field in cases:
        result = cli(*args, input=password + "\n")
        assert result.exit_code == 1 and field in result.stderr, args
    cli("users", "add", "a", "--role", "admin", input="12345678\n")
    again = cli("users", "add", "a", "--role", "admin", input="12345678\n")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_it_prints_a_token_once_and_stores_only_its_hash(cli, province, session):
    cli("users", "add", "api", "--role", "viewer", input="12345678\n")
    token = cli("users", "token", "api").stdout.strip()
    assert token.startswith("isc_") and len(token) > 40
    stored = session.exec(select(ApiToken)).one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    unknown = cli("users", "token", "nobody")
    assert unknown.exit_code == 1 and "USERNAME" in unknown.stderr


def test_it_creates_the_demo_accounts(cli, session, rules):
    from models.demo import load_demo
    from tests.conftest import TODAY

    load_demo(session=session, rules=rules, today=TODAY)
    result = cli("users", "demo")
    assert result.exit_code == 0
    assert "thuky.sngv" in result.stdout and "demo-isocycle" in result.stdout
    assert cli("users", "demo").exit_code == 0  # again: nothing new, same list
