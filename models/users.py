"""Accounts: users with a role and an agency, hashed and revocable API tokens, session epochs,
and who may see or change which agency (login throttling is models.logins)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlmodel import Field, Session, SQLModel, select as orm_select

from models.agencies import get_agency
from models.tables import AGENCY, Agency, HistoryEntry, instant, table_of, utcnow

ROLE_ADMIN = "admin"
ROLE_SUPERVISOR = "supervisor"
ROLE_SECRETARY = "secretary"
ROLE_VIEWER = "viewer"
ROLES = (ROLE_ADMIN, ROLE_SUPERVISOR, ROLE_SECRETARY, ROLE_VIEWER)
# Roles whose scope is an agency subtree; an admin sees everything and needs no agency.
AGENCY_ROLES = (ROLE_SUPERVISOR, ROLE_SECRETARY)
TOKEN_PREFIX = "isc_"
# A token's last use is written at most this often: a write per API call would contend with jobs.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


class UserError(ValueError):
    """A refused account change; the message names the field."""


# A person who signs in to the web app, with one role and (except admins) one agency.
class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=100, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    full_name: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = instant(default_factory=utcnow)
    # Raised by logout, a password change and disabling: a session cookie carries the epoch it
    # was issued under, and one from an earlier epoch is refused (web.deps).
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# An API token: only its sha256 is stored, the token itself is shown once.
class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = instant(default_factory=utcnow)
    last_used_at: datetime | None = instant(default=None)
    revoked_at: datetime | None = instant(default=None)


USER = table_of(User)
API_TOKEN = table_of(ApiToken)


@dataclass(frozen=True)
class Scope:
    """What a user may see and change: `agency_ids` None means every agency."""

    role: str
    agency_ids: frozenset[uuid.UUID] | None

    def can_see(self, agency_id: uuid.UUID) -> bool:
        return self.agency_ids is None or agency_id in self.agency_ids

    def can_write(self, agency_id: uuid.UUID) -> bool:
        return self.role != ROLE_VIEWER and self.can_see(agency_id)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def subtree_ids(*, session: Session, roots: Iterable[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Return the given agencies and all their descendants, with one query."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for agency_id, parent_id in session.execute(select(AGENCY.c.id, AGENCY.c.parent_id)):
        children.setdefault(parent_id, []).append(agency_id)
    seen: set[uuid.UUID] = set()
    queue = list(roots)
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        queue.extend(children.get(current, []))
    return frozenset(seen)


def scope_of(*, session: Session, user: User) -> Scope:
    """Return the user's scope: admins see all; everyone else their agency's subtree.

    - A viewer without an agency sees every agency, read-only.
    """
    if user.role == ROLE_ADMIN or (user.role == ROLE_VIEWER and user.agency_id is None):
        return Scope(user.role, None)
    if user.agency_id is None:
        return Scope(user.role, frozenset())
    return Scope(user.role, subtree_ids(session=session, roots=[user.agency_id]))


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    agency_code: str | None = None,
    full_name: str | None = None,
    actor: str = "system",
) -> User:
    """Create a user, refusing an unknown role or agency, a taken name or a short password."""
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise UserError("USERNAME: 1-100 characters without spaces")
    if role not in ROLES:
        raise UserError(f"--role: {role!r} is not one of {', '.join(ROLES)}")
    _check_password(password)
    agency: Agency | None = None
    if agency_code:
        agency = get_agency(session=session, code=agency_code)
        if agency is None:
            raise UserError(f"--agency: unknown agency {agency_code!r}")
    elif role in AGENCY_ROLES:
        raise UserError(f"--agency: a {role} needs an agency")
    if session.exec(orm_select(User).where(User.username == username)).first() is not None:
        raise UserError(f"USERNAME: {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        agency_id=agency.id if agency else None,
        full_name=full_name,
    )
    session.add(user)
    session.add(
        HistoryEntry(
            actor=actor,
            agency_id=user.agency_id,
            entity="user",
            entity_id=username,
            action="create",
            new={"role": role, "agency": agency_code},
        )
    )
    session.commit()
    session.refresh(user)
    return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.exec(orm_select(User).where(User.username == username)).first()


def issue_token(*, session: Session, user: User) -> str:
    """Create an API token for the user and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    session.commit()
    return token


def user_for_token(*, session: Session, token: str, now: datetime) -> User | None:
    """Return the active user holding this API token, unless it was revoked, and note its use."""
    t = API_TOKEN.c
    row = session.execute(
        select(t.id, t.user_id, t.last_used_at).where(
            t.token_hash == hash_token(token), t.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or row.last_used_at < now - TOKEN_USE_RESOLUTION:
        _note_use(session, row.id, now)
    return user


def _note_use(session: Session, token_id: uuid.UUID, now: datetime) -> None:
    """Record a token's use; a write lock held elsewhere skips it (the next use records it)."""
    from sqlalchemy.exc import OperationalError

    from models.db import is_busy_error

    try:
        session.execute(
            update(API_TOKEN).where(API_TOKEN.c.id == token_id).values(last_used_at=now)
        )
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if not is_busy_error(exc):
            raise


@dataclass(frozen=True)
class TokenRow:
    """One API token as `users tokens` lists it; `handle` names it to `users token --revoke`."""

    username: str
    handle: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_handle(token_id: uuid.UUID) -> str:
    """The short name of a token: the first 8 hex digits of its row id (never of the token)."""
    return token_id.hex[:8]


def list_tokens(*, session: Session, username: str | None = None) -> list[TokenRow]:
    """Every API token (of one user, or of all), oldest first, with when it was last used."""
    t, u = API_TOKEN.c, USER.c
    query = select(u.username, t.id, t.created_at, t.last_used_at, t.revoked_at).join_from(
        API_TOKEN, USER, u.id == t.user_id
    )
    if username is not None:
        query = query.where(u.username == username)
    return [
        TokenRow(r.username, token_handle(r.id), r.created_at, r.last_used_at, r.revoked_at)
        for r in session.execute(query.order_by(u.username, t.created_at))
    ]


def revoke_tokens(
    *, session: Session, user: User, handle: str | None, now: datetime, actor: str
) -> int:
    """Revoke one of the user's live tokens (by handle) or, with None, all of them; return how
    many were revoked. An unknown or ambiguous handle is refused."""
    t = API_TOKEN.c
    live = (
        session.execute(select(t.id).where(t.user_id == user.id, t.revoked_at.is_(None)))
        .scalars()
        .all()
    )
    if handle is not None:
        wanted = handle.strip().lower()
        live = [i for i in live if i.hex.startswith(wanted)] if len(wanted) >= 4 else []
        if len(live) != 1:
            raise UserError(
                f"không có đúng một mã khoá API còn hiệu lực của {user.username} bắt đầu bằng "
                f"{handle!r}; xem danh sách: isocycle users tokens {user.username}"
            )
    if not live:
        return 0
    session.execute(update(API_TOKEN).where(t.id.in_(live)).values(revoked_at=now))
    _record(session, user, actor, "tokens_revoked", {"tokens": [token_handle(i) for i in live]})
    session.commit()
    return len(live)


def end_sessions(*, session: Session, user_id: uuid.UUID) -> None:
    """Invalidate every session of the user, on every device (logout)."""
    session.execute(
        update(USER).where(USER.c.id == user_id).values(session_epoch=USER.c.session_epoch + 1)
    )
    session.commit()


def set_password(*, session: Session, user: User, password: str, actor: str) -> None:
    """Change a password and end the user's sessions, so a stolen cookie dies with the old one."""
    _check_password(password)
    session.execute(
        update(USER)
        .where(USER.c.id == user.id)
        .values(password_hash=hash_password(password), session_epoch=USER.c.session_epoch + 1)
    )
    _record(session, user, actor, "password_changed", {})
    session.commit()
    session.refresh(user)


def set_active(*, session: Session, user: User, active: bool, actor: str) -> bool:
    """Enable or disable an account; disabling ends its sessions and stops its tokens at once.
    Return False when it already was so."""
    if user.active == active:
        return False
    values: dict[str, object] = {"active": active}
    if not active:
        values["session_epoch"] = USER.c.session_epoch + 1
    session.execute(update(USER).where(USER.c.id == user.id).values(**values))
    _record(session, user, actor, "enabled" if active else "disabled", {"active": active})
    session.commit()
    session.refresh(user)
    return True


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"mật khẩu (password): ít nhất {MIN_PASSWORD_LENGTH} ký tự")


def _record(session: Session, user: User, actor: str, action: str, new: dict[str, object]) -> None:
    session.add(
        HistoryEntry(
            actor=actor,
            agency_id=user.agency_id,
            entity="user",
            entity_id=user.username,
            action=action,
            new=new,
        )
    )


def verify_login(*, session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, or None.

    Throttling is models.logins' part: call it through `attempt_login`.
    """
    user = get_user(session=session, username=username)
    # Verify against a dummy hash for unknown names so timing does not reveal which names exist.
    ok = check_password(user.password_hash if user else _DUMMY_HASH, password)
    return user if ok and user is not None and user.active else None


DEMO_PASSWORD = "demo-isocycle"
# (username, role, agency code): one account per role on the demo province.
DEMO_ACCOUNTS = (
    ("admin", ROLE_ADMIN, None),
    ("skhcn", ROLE_SUPERVISOR, "SKHCN"),
    ("thuky.sngv", ROLE_SECRETARY, "SNGV"),
    ("thuky.sct", ROLE_SECRETARY, "SCT"),
    ("xem", ROLE_VIEWER, None),
)


def create_demo_users(*, session: Session) -> list[tuple[str, str, str, str | None]]:
    """Create the demo accounts that are missing; return (username, password, role, agency).

    Only in a database the demo has marked as its own: their password is public.
    """
    from models import instance

    if instance.get(session.connection(), instance.DEMO) is None:
        raise UserError(
            "tài khoản thử (mật khẩu công khai) chỉ được tạo trong cơ sở dữ liệu của bản thử; "
            "hãy chạy `isocycle --db sqlite:///isocycle-demo.db demo` trên một cơ sở dữ liệu "
            "riêng"
        )
    out = []
    for username, role, code in DEMO_ACCOUNTS:
        if get_user(session=session, username=username) is None:
            create_user(
                session=session,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                agency_code=code,
                actor="demo",
            )
        out.append((username, DEMO_PASSWORD, role, code))
    return out


_DUMMY_HASH = hash_password(secrets.token_hex(8))
