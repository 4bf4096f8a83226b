"""Who is calling: a signed-in user (bearer token or session cookie) or an API key."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.tokens import API_KEY_PREFIX, bearer_token, csrf_matches, token_hash
from app.core.clock import utcnow
from app.core.errors import Forbidden, Unauthenticated
from app.models import ApiKey, AuthToken, User

SESSION_COOKIE = "chorus_session"
CSRF_COOKIE = "chorus_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    user: User | None = None
    api_key: ApiKey | None = None
    token_hash: str | None = None


async def _user_for_token(session: AsyncSession, hashed: str) -> User | None:
    row = (
        await session.execute(
            select(User, AuthToken.expires_at)
            .join(AuthToken, AuthToken.user_id == User.id)
            .where(AuthToken.token_hash == hashed)
        )
    ).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at <= utcnow() or not user.active:
        return None
    return user


async def authenticate(session: AsyncSession, request: Request,
                       secret_key: str) -> Principal | None:
    """Resolve the caller; ``None`` is anonymous. Bad credentials are 401, not anonymous."""
    header = request.headers.get("authorization")
    if header:
        value = bearer_token(header)
        if value is None:
            raise Unauthenticated("Send credentials as 'Authorization: Bearer <token>'.")
        hashed = token_hash(value)
        if value.startswith(API_KEY_PREFIX):
            key = await session.scalar(
                select(ApiKey).where(ApiKey.key_hash == hashed, ApiKey.revoked_at.is_(None))
            )
            if key is None:
                raise Unauthenticated("Unknown or revoked API key.")
            return Principal(api_key=key)
        user = await _user_for_token(session, hashed)
        if user is None:
            raise Unauthenticated("The token is invalid, expired or its user is deactivated.")
        return Principal(user=user, token_hash=hashed)

    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    hashed = token_hash(cookie)
    user = await _user_for_token(session, hashed)
    if user is None:
        raise Unauthenticated("The session has expired; sign in again.")
    if request.method not in SAFE_METHODS and not csrf_matches(
        secret_key, hashed, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"Cookie-authenticated requests must carry the {CSRF_HEADER} header.")
    return Principal(user=user, token_hash=hashed)
