"""Signing in and out as pages, the start page ``/`` and the header's language switch."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from app.auth import service as auth_service
from app.auth import users as users_service
from app.auth.sessions import clear_session_cookies, set_session_cookies, sign_in
from app.core.errors import RateLimited, Unauthenticated
from app.core.routing import DbSession
from app.web import i18n
from app.web.access import CurrentViewer
from app.web.error_pages import login_page
from app.web.forms import PageForm
from app.web.navigation import VISITOR_START, safe_next, start_page
from app.web.routing import page_router

# The API's limits (LoginRequest): longer input cannot be anyone's email or password.
MAX_EMAIL = 320
MAX_PASSWORD = 1024
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

router = page_router()


def _see_other(path: str) -> RedirectResponse:
    # A relative Location: the Host header never decides where a browser goes next.
    return RedirectResponse(path, status_code=303)


@router.get("/")
async def start(viewer: CurrentViewer) -> Response:
    """The start page of the viewer's role; visitors go to /app."""
    return _see_other(start_page(viewer.user))


@router.get("/login")
async def login_form(request: Request, viewer: CurrentViewer, next: str = "/") -> Response:
    """The login form; a signed-in user goes straight on."""
    if viewer.user is not None:
        return _see_other(safe_next(next))
    return login_page(request, next_path=next)


@router.post("/login")
async def login(request: Request, form: PageForm, session: DbSession) -> Response:
    """Sign in with the form; on to ``next`` (a path on this site) or the start page."""
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    secret = await request.app.state.secret_key(session)
    try:
        if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
            raise Unauthenticated()
        new = await sign_in(session, request, email=email, password=password, secret_key=secret)
    except Unauthenticated:
        return login_page(request, next_path=next_path, status=401, email=email[:MAX_EMAIL],
                          error="credentials")
    except RateLimited as exc:
        return login_page(request, next_path=next_path, status=429, email=email[:MAX_EMAIL],
                          error="throttled", retry_after=int(exc.headers["Retry-After"]))
    response = _see_other(next_path)
    set_session_cookies(response, new, secret_key=secret,
                        secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/logout")
async def logout(viewer: CurrentViewer, session: DbSession) -> Response:
    """End this browser's session."""
    if viewer.token_hash is not None:
        await auth_service.logout(session, token_hash_value=viewer.token_hash)
    response = _see_other(VISITOR_START)
    clear_session_cookies(response)
    return response


@router.post("/language")
async def choose_language(request: Request, form: PageForm, viewer: CurrentViewer,
                          session: DbSession) -> Response:
    """Show the pages in English or Thai: the user's setting, or this browser's for a
    visitor."""
    response = _see_other(safe_next(str(form.get("next", ""))))
    language = i18n.supported(str(form.get("language", "")))
    if language is None:
        return response
    if viewer.user is not None:
        await users_service.update(session, viewer.user, {"language": language})
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, path="/",
                        httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies)
    return response
