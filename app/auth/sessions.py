"""Signing in, and the cookies it sets, alike for the API's login and the login page."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.principal import CSRF_COOKIE, SESSION_COOKIE
from app.auth.service import SESSION_LIFETIME, NewSession
from app.auth.tokens import csrf_token
from app.core.ratelimit import client_key


async def sign_in(session: AsyncSession, request: Request, *, email: str, password: str,
                  secret_key: str) -> NewSession:
    """Check the password under the login throttle of the caller's address (CONTRACT §2)."""
    return await auth_service.login(
        session, email=email, password=password, throttle=request.app.state.login_throttle,
        client=client_key(request.client.host if request.client else None, secret_key),
    )


def set_session_cookies(response: Response, new: NewSession, *, secret_key: str,
                        secure: bool) -> None:
    max_age = int(SESSION_LIFETIME.total_seconds())
    response.set_cookie(SESSION_COOKIE, new.token, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=secure)
    # Readable by the pages' script, which echoes it in X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, csrf_token(secret_key, new.token_hash), max_age=max_age,
                        path="/", httponly=False, samesite="lax", secure=secure)


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
