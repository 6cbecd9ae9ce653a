"""Accounts: users with a role and an agency, hashed API tokens, and who may see or change which
agency (login throttling is models.logins)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel
from sqlmodel import select as orm_select

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


# An API token: only its sha256 is stored, the token itself is shown once.
class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = instant(default_factory=utcnow)


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
    if len(password) < 8:
        raise UserError("--password: at least 8 characters")
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


def user_for_token(*, session: Session, token: str) -> User | None:
    """Return the active user holding this API token, or None."""
    user = session.exec(
        orm_select(User)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    return user if user is not None and user.active else None


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
    """Create the demo accounts that are missing; return (username, password, role, agency)."""
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
