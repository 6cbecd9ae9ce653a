"""`isocycle users ...`: accounts and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.common import actor, echo_table, fail, session_scope

# models.users.ROLES, spelled out so the help needs no database layer (a test keeps them equal).
ROLE_NAMES = ("admin", "supervisor", "secretary", "viewer")

users_app = typer.Typer(help="Web accounts and API tokens (tài khoản).", no_args_is_help=True)


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLE_NAMES)}.")],
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency code (required but for admin/viewer).")
    ] = None,
    full_name: Annotated[str | None, typer.Option("--name")] = None,
) -> None:
    """Create a web user with a role and (for supervisors and secretaries) an agency.

    The password is asked for (twice, not shown), or read as one line from standard input:
    never an argument, which any user of the machine could read in the process list.
    """
    from models.users import UserError, create_user

    password = read_password()
    with session_scope() as session:
        try:
            create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                agency_code=agency,
                full_name=full_name,
                actor="cli",
            )
        except UserError as exc:
            fail(str(exc))
    typer.echo(f"User {username} created ({role}{', ' + agency if agency else ''})")


def read_password() -> str:
    """A password from the terminal (hidden, asked twice) or the first line of standard input."""
    if sys.stdin.isatty():
        entered: str = typer.prompt(
            "Mật khẩu (password)",
            hide_input=True,
            confirmation_prompt="Nhập lại mật khẩu (repeat)",
            err=True,
        )
        return entered
    line = sys.stdin.readline()
    if not line:
        fail("chưa nhập mật khẩu: gõ khi được hỏi, hoặc đưa một dòng vào đầu vào chuẩn (stdin)")
    return line.rstrip("\r\n")


@users_app.command("token")
def users_token(
    username: str,
    revoke: Annotated[
        str | None,
        typer.Option(
            "--revoke",
            metavar="HANDLE|all",
            help="Revoke one token (its handle from `users tokens`) or all the user's tokens, "
            "instead of issuing one.",
        ),
    ] = None,
) -> None:
    """Print a new API token for the user (shown once; only its hash is stored), or revoke."""
    from models.tables import utcnow
    from models.users import UserError, get_user, issue_token, list_tokens, revoke_tokens

    with session_scope() as session:
        user = get_user(session=session, username=username)
        if user is None:
            fail(f"USERNAME: unknown user {username!r}")
        if revoke is not None:
            try:
                count = revoke_tokens(
                    session=session,
                    user=user,
                    handle=None if revoke == "all" else revoke,
                    now=utcnow(),
                    actor=actor(None),
                )
            except UserError as exc:
                fail(str(exc))
            typer.echo(f"Đã thu hồi {count} khoá API của {username} (revoked).")
            return
        token = issue_token(session=session, user=user)
        others = sum(1 for t in list_tokens(session=session, username=username) if not t.revoked_at)
    typer.echo(token)
    if others > 1:
        typer.echo(
            f"{username} còn {others - 1} khoá API cũ vẫn dùng được. Xem mã của chúng: "
            f"isocycle users tokens {username}; thu hồi từng khoá: isocycle users token "
            f"{username} --revoke MÃ",
            err=True,
        )


@users_app.command("tokens")
def users_tokens(username: Annotated[str | None, typer.Argument()] = None) -> None:
    """List API tokens (of one user, or of everyone) with when each was last used."""
    from cli.common import settings
    from models.users import list_tokens

    zone = settings().zone
    with session_scope() as session:
        rows = list_tokens(session=session, username=username)

    def when(value: object) -> str:
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""  # type: ignore[attr-defined]

    echo_table(
        ["Tài khoản", "Mã", "Cấp lúc", "Dùng lần cuối", "Thu hồi lúc"],
        [
            (
                r.username,
                r.handle,
                when(r.created_at),
                when(r.last_used_at) or "chưa dùng",
                when(r.revoked_at),
            )
            for r in rows
        ],
    )


def _set_active(username: str, active: bool) -> None:
    from models.users import get_user, set_active

    with session_scope() as session:
        user = get_user(session=session, username=username)
        if user is None:
            fail(f"USERNAME: unknown user {username!r}")
        changed = set_active(session=session, user=user, active=active, actor=actor(None))
    state = "mở khoá (enabled)" if active else "khoá (disabled)"
    typer.echo(f"Tài khoản {username}: {'đã ' + state if changed else 'vốn đã ' + state}.")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account: its sessions end and its API tokens stop working at once."""
    _set_active(username, False)


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled account again (its tokens revoked meanwhile stay revoked)."""
    _set_active(username, True)


@users_app.command("password")
def users_password(username: str) -> None:
    """Set a new password (asked for, or read from standard input); ends the user's sessions."""
    from models.users import UserError, get_user, set_password

    password = read_password()
    with session_scope() as session:
        user = get_user(session=session, username=username)
        if user is None:
            fail(f"USERNAME: unknown user {username!r}")
        try:
            set_password(session=session, user=user, password=password, actor=actor(None))
        except UserError as exc:
            fail(str(exc))
    typer.echo(f"Đã đổi mật khẩu của {username}; các phiên đăng nhập cũ đã kết thúc.")


@users_app.command("demo")
def users_demo() -> None:
    """Create the demo accounts (one per role) and print them."""
    from models.users import UserError, create_demo_users

    with session_scope() as session:
        try:
            accounts = create_demo_users(session=session)
        except UserError as exc:
            fail(str(exc))
    for username, password, role, agency in accounts:
        typer.echo(f"{username:12} {password}  {role}{' ' + agency if agency else ''}")


def register(app: typer.Typer) -> None:
    """Add `users` to the main CLI."""
    app.add_typer(users_app, name="users")
