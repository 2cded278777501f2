"""Nothing exposed by accident: pairing, the session cookie, CSRF, the Host check, security headers.

- On this computer only (the default) there is no pairing, but the Host header must name the loopback
  address (a web page elsewhere cannot reach the server through a DNS name it controls).
- With --lan a one-time pairing code is exchanged once for a random session token, kept in an
  HttpOnly, SameSite=Strict cookie; every request without a valid one gets 401, the audio included.
  Wrong codes are counted: after MAX_PAIRING_ATTEMPTS the code is dead and pairing needs a new server.
- Every command is a POST carrying the page's CSRF token in a header (a form on another site cannot
  set one), and an Origin, when sent, must be the server's own.
- Every response carries a strict Content-Security-Policy: scripts, styles, media only from the server.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

COOKIE = "coach_session"
CSRF_HEADER = "x-coach-csrf"
MAX_PAIRING_ATTEMPTS = 5
PAIRING_CODE_DIGITS = 6
MAX_BODY_BYTES = 16 * 1024
PUBLIC_PATHS = frozenset({"/pair"})     # all a device without the cookie may reach (to pair)
COOKIE_MAX_AGE_S = 12 * 60 * 60

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
       "connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_TEXT = b"text/plain; charset=utf-8"


class PairingRefused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass
class Pairing:
    """The one-time code and the tokens it was exchanged for."""

    code: str = field(default_factory=lambda: f"{secrets.randbelow(10 ** PAIRING_CODE_DIGITS):0{PAIRING_CODE_DIGITS}d}")
    attempts_left: int = MAX_PAIRING_ATTEMPTS
    used: bool = False
    _tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pair(self, code: str) -> str:
        """A new session token for the right code; PairingRefused (401, or 429 once locked) otherwise."""
        with self._lock:
            if self.used:
                raise PairingRefused("this pairing code was already used; restart coach serve --lan for a new one", 410)
            if self.attempts_left <= 0:
                raise PairingRefused("too many wrong codes; restart coach serve --lan for a new one", 429)
            if not hmac.compare_digest(str(code).strip().encode(), self.code.encode()):
                self.attempts_left -= 1
                if self.attempts_left <= 0:
                    raise PairingRefused("too many wrong codes; restart coach serve --lan for a new one", 429)
                raise PairingRefused(f"wrong code: {self.attempts_left} tries left", 401)
            self.used = True
            token = secrets.token_urlsafe(32)
            self._tokens.add(token)
            return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            return any(hmac.compare_digest(token.encode(), t.encode()) for t in self._tokens)


@dataclass(frozen=True)
class Policy:
    csrf_token: str
    pairing: Pairing | None            # None: this computer only, no pairing
    allowed_hosts: frozenset[str]      # Host header values accepted; empty: any (--lan: the cookie guards)


def cookie_header(token: str) -> str:
    return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={COOKIE_MAX_AGE_S}"


def request_token(headers: dict[str, str]) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else None


def security_headers(content_security_policy: str = CSP) -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", content_security_policy.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
            (b"cross-origin-resource-policy", b"same-origin"), (b"cache-control", b"no-store")]


class Guard:
    """ASGI middleware in front of every route: Host, size, cookie, CSRF; headers on every answer."""

    def __init__(self, app: ASGIApp, policy: Policy, unpaired: Callable[[], tuple[bytes, str]]):
        self.app = app
        self.policy = policy
        self.unpaired = unpaired          # the 401 page (how to pair) and its own CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in security_headers() if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, bytes, bytes, str] | None:
        policy = self.policy
        if policy.allowed_hosts and headers.get("host", "") not in policy.allowed_hosts:
            return 421, b"coach serves this computer only: open the address coach serve printed\n", _TEXT, CSP
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return 400, b"bad Content-Length\n", _TEXT, CSP
        if length > MAX_BODY_BYTES:
            return 413, b"request too large\n", _TEXT, CSP
        path, method = scope["path"], scope["method"]
        origin = headers.get("origin")
        if method not in ("GET", "HEAD") and origin is not None and origin != f"http://{headers.get('host', '')}":
            return 403, b"cross-site request refused\n", _TEXT, CSP
        if path in PUBLIC_PATHS:
            return None
        if policy.pairing is not None and not policy.pairing.valid(request_token(headers)):
            body, page_csp = self.unpaired()
            return 401, body, b"text/html; charset=utf-8", page_csp
        if method not in ("GET", "HEAD") and not hmac.compare_digest(
                headers.get(CSRF_HEADER, "").encode(), policy.csrf_token.encode()):
            return 403, b"missing or wrong CSRF token: reload the page\n", _TEXT, CSP
        return None


async def _answer(send: Send, status: int, body: bytes, content_type: bytes, csp: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *security_headers(csp)]})
    await send({"type": "http.response.body", "body": body})
