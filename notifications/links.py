"""Signed one-click links for reminder e-mails and private iCal feed tokens."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from config.settings import Settings

# Long enough to outlive a reminder sent a month before a deadline.
LINK_TTL = timedelta(days=45)
_LINK_SALT = "isocycle.step-link.v1"


class LinkError(ValueError):
    """A one-click link that is forged, damaged or expired; the message is for the user."""


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=_LINK_SALT)


def link_token(settings: Settings, step_id: uuid.UUID, now: datetime) -> str:
    """Return the signed token for one step, valid until now + LINK_TTL."""
    expires = int((now + LINK_TTL).timestamp())
    return str(_serializer(settings).dumps({"s": str(step_id), "e": expires}))


def step_link(settings: Settings, step_id: uuid.UUID, now: datetime) -> str:
    """Return the absolute one-click URL that opens one step's completion form."""
    return f"{settings.base_url.rstrip('/')}/l/{link_token(settings, step_id, now)}"


def read_link(settings: Settings, token: str, now: datetime) -> uuid.UUID:
    """Return the step id a link is for, or raise LinkError if it is forged or expired."""
    try:
        payload: Any = _serializer(settings).loads(token)
        step_id = uuid.UUID(payload["s"])
        expires = int(payload["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("Liên kết không hợp lệ (invalid link).") from exc
    if now.timestamp() > expires:
        raise LinkError("Liên kết đã hết hạn; hãy đăng nhập để cập nhật (link expired).")
    return step_id


def feed_token(settings: Settings, kind: str, ident: uuid.UUID) -> str:
    """Return the private token of an iCal feed, derived by HMAC so nothing is stored."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"ical:{kind}:{ident}".encode(), hashlib.sha256).hexdigest()[:32]


def check_feed_token(settings: Settings, kind: str, ident: uuid.UUID, token: str) -> bool:
    # Bytes: compare_digest refuses a str with non-ASCII characters (a 500 on /ical/…/é.ics).
    return hmac.compare_digest(feed_token(settings, kind, ident).encode(), token.encode())
