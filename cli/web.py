"""`isocycle users ...`: accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail, session_scope

# models.users.ROLES, spelled out so the help needs no database layer (a test keeps them equal).
ROLE_NAMES = ("admin", "supervisor", "secretary", "viewer")

users_app = typer.Typer(help="Web accounts and API tokens (tài khoản).", no_args_is_help=True)


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLE_NAMES)}.")],
    password: Annotated[str, typer.Option("--password", help="At least 8 characters.")],
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency code (required but for admin/viewer).")
    ] = None,
    full_name: Annotated[str | None, typer.Option("--name")] = None,
) -> None:
    """Create a web user with a role and (for supervisors and secretaries) an agency."""
    from models.users import UserError, create_user

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


@users_app.command("token")
def users_token(username: str) -> None:
    """Print a new API token for the user (shown once; only its hash is stored)."""
    from models.users import get_user, issue_token

    with session_scope() as session:
        user = get_user(session=session, username=username)
        if user is None:
            fail(f"USERNAME: unknown user {username!r}")
        token = issue_token(session=session, user=user)
    typer.echo(token)


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
