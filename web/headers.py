"""Security headers on every response: a strict Content-Security-Policy, no framing, no MIME
sniffing, no referrer, and HSTS when the request came over https."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages load scripts, styles and images from this server only, and carry no inline script,
# no inline style and no event-handler attribute (the templates have none; keep it so).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
FIXED = {
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    # One-click links carry their token in the path: no page tells another site where it was.
    "Referrer-Policy": "no-referrer",
}
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def script_hashes(html: str) -> list[str]:
    """The CSP sources that allow exactly the inline scripts of a page, by their sha256."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def swagger_csp(html: str) -> str:
    """The policy of /api/docs: FastAPI's Swagger UI page starts the bundle with one inline
    script (allowed by its hash, nothing else inline runs), and the bundle sets inline styles
    and shows data: icons, which only that page allows."""
    return (
        f"default-src 'self'; script-src 'self' {' '.join(script_hashes(html))}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response; `policies` maps a path to a
    policy other than CSP."""

    def __init__(self, app: ASGIApp, policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.policies = policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policies.get(scope["path"], CSP)
        # The scheme as the visitor used it: behind a trusted proxy, X-Forwarded-Proto.
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                for name, value in FIXED.items():
                    headers[name] = value
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
