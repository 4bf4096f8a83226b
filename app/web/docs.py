"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served entirely from Chorus.

FastAPI's own pages load both from a CDN, so they are blank offline and trust a third
party. Here the bundles are vendored (``static/vendor/*/README.md`` says which versions),
the pages carry no inline script and answer with a strict Content-Security-Policy.

Styles: ReDoc renders with styled-components, which writes ``<style>`` elements at run time.
Rather than ``style-src 'unsafe-inline'``, each page gets a fresh nonce, announced in
``<meta property="csp-nonce">``, which styled-components reads and sets on those elements.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from html import escape
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.core.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSET_PATH = "/docs/assets"
_VENDORED = ("static/vendor/swagger-ui", "static/vendor/redoc")
_OURS = "static/js/docs-init.js"  # the only file of static/js these pages use
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_ASSET_HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}


def _servable(entry: Traversable) -> bool:
    return entry.is_file() and any(entry.name.endswith(ext) for ext in _TYPES)


@lru_cache
def assets() -> dict[str, Traversable]:
    """Every file the pages may load, by name: only these are ever served, so no request
    path reaches the file system."""
    package = resources.files("app.web")
    entries = [package.joinpath(_OURS)]
    for folder in _VENDORED:
        entries += [entry for entry in package.joinpath(folder).iterdir() if _servable(entry)]
    found = {entry.name: entry for entry in entries}
    if len(found) != len(entries):
        raise RuntimeError("two documentation assets have the same name")
    return found


@lru_cache
def _asset_bytes(name: str) -> bytes:
    return assets()[name].read_bytes()


def content_security_policy(style_nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{style_nonce}'",
        "img-src 'self' data:",
        # ReDoc embeds its icon font as a data: URL.
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _page(request: Request, *, title: str, head: str, body: str) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    document = (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta property=\"csp-nonce\" content=\"{nonce}\">\n"
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(document, headers={
        "Content-Security-Policy": content_security_policy(nonce),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    })


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _asset(request: Request, name: str) -> str:
    return escape(f"{_root(request)}{ASSET_PATH}/{name}")


def _openapi_url(request: Request) -> str:
    return escape(f"{_root(request)}{request.app.openapi_url}")


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    """The API, explorable with Swagger UI."""
    return _page(
        request, title=f"{request.app.title} API: Swagger UI",
        head=f"<link rel=\"stylesheet\" href=\"{_asset(request, 'swagger-ui.css')}\">\n",
        body=(f"<div id=\"swagger-ui\" data-openapi-url=\"{_openapi_url(request)}\"></div>\n"
              f"<script src=\"{_asset(request, 'swagger-ui-bundle.js')}\"></script>\n"
              f"<script src=\"{_asset(request, 'docs-init.js')}\"></script>\n"),
    )


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    """The API reference, rendered by ReDoc."""
    # ReDoc 3 reads its options from the element's attributes; without the last one it
    # would report usage to Redocly (which the policy's connect-src would block anyway).
    return _page(
        request, title=f"{request.app.title} API: ReDoc", head="",
        body=(f"<redoc spec-url=\"{_openapi_url(request)}\" disable-telemetry=\"true\">"
              "</redoc>\n"
              f"<script type=\"module\" src=\"{_asset(request, 'redoc.standalone.js')}\">"
              "</script>\n"),
    )


@router.get(ASSET_PATH + "/{name}")
async def asset(name: str) -> Response:
    """A vendored script or style sheet of the documentation pages."""
    if name not in assets():
        raise NotFound("No such documentation asset.")
    content_type = _TYPES[name[name.rindex("."):]]
    return Response(_asset_bytes(name), media_type=content_type, headers=_ASSET_HEADERS)
