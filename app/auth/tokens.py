"""Bearer tokens, API keys and CSRF tokens: random values whose hashes alone are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "chk_"
SITE_KEY_PREFIX = "chs_"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for anything else."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def csrf_token(secret_key: str, session_token_hash: str) -> str:
    """The CSRF token is bound to the session, so it is useless with any other cookie."""
    mac = hmac.new(secret_key.encode(), b"csrf:" + session_token_hash.encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_matches(secret_key: str, session_token_hash: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret_key, session_token_hash), presented)
