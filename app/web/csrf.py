"""CSRF for the pages: every unsafe request must come from our own origin and carry a token.

A signed-in browser's token is the API's (:func:`app.auth.tokens.csrf_token`, bound to its
session), sent as the ``csrf_token`` form field or the ``X-CSRF-Token`` header. A visitor has
no session yet, so the login (and language) forms use a token bound to a random pre-session
cookie instead: an attacker's page can neither read that cookie nor the page's copy of the
token. On top of the token, a request that the browser marks as coming from another site
(``Sec-Fetch-Site``) or another ``Origin`` is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "chorus_form"
LOGIN_COOKIE_AGE = 24 * 3600
# "same-site" too: a sibling subdomain is another party that may share cookies with us.
_FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_token(secret_key: str, nonce: str) -> str:
    """The form token of a visitor whose pre-session cookie holds ``nonce``."""
    mac = hmac.new(secret_key.encode(), b"login-form:" + nonce.encode(), hashlib.sha256)
    return mac.hexdigest()


def matches(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_foreign(request: Request, base_url: str) -> bool:
    """True when the browser says this request comes from another site or origin.

    Our origin is ``CHORUS_BASE_URL``'s or the one the request was addressed to: a browser
    sets ``Origin`` itself, so only a non-browser client could make them agree falsely, and
    such a client has no victim's cookies to abuse.
    """
    if request.headers.get("sec-fetch-site", "").lower() in _FOREIGN_FETCH_SITES:
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin.lower() not in {_origin(base_url), _origin(str(request.url))}
