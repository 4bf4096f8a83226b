"""Who is looking at a page: the signed-in user (from the session cookie alone) or a visitor,
in which language, and the CSRF token their forms carry."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SESSION_COOKIE, Principal, authenticate
from app.auth.sessions import clear_session_cookies
from app.auth.tokens import csrf_token
from app.core.errors import Unauthenticated
from app.models import User
from app.web import csrf, i18n


@dataclass
class Viewer:
    user: User | None
    language: str
    csrf_token: str | None
    token_hash: str | None = None
    new_nonce: str | None = None
    stale_session: bool = False

    @classmethod
    def visitor(cls, request: Request) -> Viewer:
        """A visitor known without the database (error pages): no forms, no user."""
        return cls(user=None, language=_language(request, None), csrf_token=None)

    def finish(self, response: Response, *, secure: bool) -> None:
        """Set the visitor's new pre-session cookie; drop a session cookie that no longer
        signs anyone in (unless this very response signs someone in)."""
        if self.new_nonce is not None:
            response.set_cookie(csrf.LOGIN_COOKIE, self.new_nonce, max_age=csrf.LOGIN_COOKIE_AGE,
                                path="/", httponly=True, samesite="lax", secure=secure)
        signs_in = any(value.startswith(SESSION_COOKIE + "=")
                       for value in response.headers.getlist("set-cookie"))
        if self.stale_session and not signs_in:
            clear_session_cookies(response)


def _language(request: Request, user: User | None) -> str:
    return i18n.choose(user_language=getattr(user, "language", None),
                       cookie=request.cookies.get(i18n.LANGUAGE_COOKIE),
                       accept_language=request.headers.get("accept-language"))


async def _cookie_principal(session: AsyncSession, request: Request,
                            secret_key: str) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    # authenticate() would take a bearer header first and check the CSRF header of unsafe
    # requests; pages never take a bearer and check their forms' tokens themselves, so it is
    # shown a read that carries the session cookie alone.
    only_cookie = Request({"type": "http", "method": "GET", "headers": [
        (b"cookie", f"{SESSION_COOKIE}={cookie}".encode("latin-1"))]})
    try:
        return await authenticate(session, only_cookie, secret_key)
    except Unauthenticated:
        return None


async def resolve(session: AsyncSession, request: Request, secret_key: str) -> Viewer:
    principal = await _cookie_principal(session, request, secret_key)
    if principal is not None and principal.user is not None and principal.token_hash:
        return Viewer(user=principal.user, language=_language(request, principal.user),
                      csrf_token=csrf_token(secret_key, principal.token_hash),
                      token_hash=principal.token_hash)
    nonce = request.cookies.get(csrf.LOGIN_COOKIE) or ""
    new_nonce = None
    if not 16 <= len(nonce) <= 64:
        nonce = new_nonce = csrf.new_nonce()
    return Viewer(user=None, language=_language(request, None),
                  csrf_token=csrf.login_token(secret_key, nonce), new_nonce=new_nonce,
                  stale_session=bool(request.cookies.get(SESSION_COOKIE)))
