"""The pages that answer instead of a page: login form, 403, refused form, 404, 500.

Page routes get them from ``PageRoute``; ``HtmlNotFound`` gives browsers a 404 page (instead
of problem+json) for unknown addresses under the pages' own prefixes.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ChorusError, Forbidden, NotFound, Unauthenticated
from app.core.problems import PROBLEM_JSON
from app.web.access import FormRefused, LoginRequired, PageForbidden
from app.web.forms import BadForm
from app.web.navigation import safe_next
from app.web.templating import render

log = logging.getLogger("chorus.web")

PAGE_PREFIXES = ("/app", "/console", "/dashboard", "/login")
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def login_page(request: Request, *, next_path: str, status: int = 200, email: str = "",
               error: str | None = None, retry_after: int | None = None) -> HTMLResponse:
    """The login form; ``error`` is ``credentials`` or ``throttled`` (with ``retry_after``)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return render(request, "login.html", {
        "next": safe_next(next_path), "email": email, "error": error,
        "retry_after": retry_after}, status=status, headers=headers)


def forbidden_page(request: Request) -> HTMLResponse:
    return render(request, "forbidden.html", status=403)


def error_page(request: Request, status: int, reason: str,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """``reason``: not_found, refused (a form we did not accept), invalid, server, other."""
    return render(request, "error.html", {"status": status, "reason": reason},
                  status=status, headers=headers)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def page_for(request: Request, exc: Exception) -> Response:
    """The page that answers ``exc`` raised while serving a page."""
    if isinstance(exc, LoginRequired | Unauthenticated):
        status = 200 if request.method in _SAFE_METHODS else 401
        return login_page(request, next_path=_here(request), status=status)
    if isinstance(exc, PageForbidden | Forbidden):
        return forbidden_page(request)
    if isinstance(exc, FormRefused):
        return error_page(request, 403, "refused")
    if isinstance(exc, BadForm):
        return error_page(request, 400, "invalid")
    if isinstance(exc, RequestValidationError):
        return error_page(request, 422, "invalid")
    if isinstance(exc, NotFound):
        return error_page(request, 404, "not_found")
    if isinstance(exc, ChorusError):
        return error_page(request, exc.status, "other", headers=exc.headers)
    if isinstance(exc, StarletteHTTPException):
        reason = "not_found" if exc.status_code == 404 else "other"
        return error_page(request, exc.status_code, reason, headers=dict(exc.headers or {}))
    log.error("unhandled error on page %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "server")


def _wants_page(scope: Scope) -> bool:
    path: str = scope["path"]
    if scope["method"] not in _SAFE_METHODS:
        return False
    if not any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/html" in accept


class HtmlNotFound:
    """A browser asking for an unknown address under a page prefix gets the 404 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _wants_page(scope):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_page(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] == 404 and content_type.startswith(PROBLEM_JSON.encode()):
                    replaced = True
                    page = error_page(Request(scope), 404, "not_found")
                    await page(scope, receive, send)
                    return
            if not replaced:
                await send(message)

        await self.app(scope, receive, send_page)
