"""CSRF protection for form posts: a signed double-submit token bound to the session, plus an origin check.

The choice, and why:

- The session cookie stays exactly as `/api/auth/login` sets it (HttpOnly, SameSite=Lax), so pages and the
  REST API share one session. SameSite=Lax already keeps the cookie off cross-site POSTs, but not off
  same-site ones (a sibling subdomain), so it is not enough on its own.
- Every page gets a token `nonce.mac` in the cookie `tutela_csrf` (HttpOnly, SameSite=Strict) and the same
  value in each form (`csrf_token`) and in the `X-CSRF-Token` header htmx sends. A post is accepted only when
  the submitted value equals the cookie and its MAC is valid. The MAC is an HMAC, keyed from the service key,
  over the nonce and the current session cookie: a token planted from elsewhere, or left over from before a
  sign-in, does not verify, so it cannot be used to fix a victim's token.
- A post whose `Origin` (or, without one, `Referer`) names another host is refused before the token is read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from tutela.core.auth.dependencies import SESSION_COOKIE, get_runtime
from tutela.errors import PermissionDenied

COOKIE = "tutela_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(PermissionDenied):
    """A form post without a valid token, or from another site."""

    code = "csrf_rejected"


def _mac(request: Request, nonce: str) -> str:
    key = get_runtime(request).keyring.derive("tutela web csrf v1")
    session = request.cookies.get(SESSION_COOKIE, "")
    message = nonce.encode() + b"\x00" + hashlib.sha256(session.encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _valid(request: Request, value: str) -> bool:
    nonce, _, mac = value.partition(".")
    return bool(nonce and mac) and hmac.compare_digest(mac, _mac(request, nonce))


def token_for(request: Request) -> str:
    """The token to put in this page's forms: the cookie's when it still verifies, else a new one."""
    existing: str | None = getattr(request.state, "csrf_token", None)
    if existing:
        return existing
    cookie = request.cookies.get(COOKIE, "")
    if cookie and _valid(request, cookie):
        token = cookie
    else:
        nonce = secrets.token_urlsafe(24)
        token = f"{nonce}.{_mac(request, nonce)}"
        request.state.csrf_new = True
    request.state.csrf_token = token
    return token


def attach(request: Request, response: Response) -> None:
    """Set the cookie when this response rendered a new token."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            COOKIE,
            request.state.csrf_token,
            httponly=True,
            samesite="strict",
            secure=get_runtime(request).settings.auth.secure_cookies,
            path="/",
        )


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # neither header (some privacy settings strip both): the token alone decides
    if source == "null":
        return False  # an opaque origin: a sandboxed frame or a redirect chain through another site
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


def check(request: Request, submitted: str | None) -> None:
    """Raise CsrfRejected unless an unsafe request comes from our own pages."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRejected("this form was sent from another site, so it was refused")
    cookie = request.cookies.get(COOKIE, "")
    value = submitted or request.headers.get(HEADER, "")
    if not (cookie and value and hmac.compare_digest(cookie, value) and _valid(request, value)):
        raise CsrfRejected("this form has expired; reload the page and try again")
