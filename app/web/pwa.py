"""The installable app: its manifest, the service worker and the offline page.

The service worker (``templates/pwa/sw.js``) keeps only the shell: hashed static files, and
``/offline``, which shows nobody's data. Pages, the API and anything whose answer depends on
the cookie always go to the network (CONTRACT §8).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.web.assets import Assets
from app.web.templating import environment, render
from app.web.viewer import Viewer

OFFLINE_PATH = "/offline"
MANIFEST_PATH = "/app/manifest.webmanifest"
SW_PATH = "/sw.js"
THEME_COLOR = "#2446c7"
BACKGROUND_COLOR = "#f6f7fb"
# What the service worker stores on install; pages that need more offline add it here.
SHELL_ASSETS = (
    "css/app.css",
    "css/app-pages.css",
    "vendor/htmx/htmx.esm.min.js",
    "js/csrf.js",
    "js/sw-register.js",
    "js/app-pages.js",
    "js/app-share.js",
    "icons/icon-192.png",
)
REVALIDATE = "no-cache"

router = APIRouter(include_in_schema=False)


def manifest(assets: Assets) -> dict[str, object]:
    def icon(name: str, size: int, purpose: str) -> dict[str, str]:
        return {"src": assets.url(name), "sizes": f"{size}x{size}", "type": "image/png",
                "purpose": purpose}

    return {
        "id": "/app",
        "name": "Chorus",
        "short_name": "Chorus",
        "description": "Share your company's news and see what it brings.",
        "lang": "en",
        "start_url": "/app",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            icon("icons/icon-192.png", 192, "any"),
            icon("icons/icon-512.png", 512, "any"),
            icon("icons/icon-maskable-512.png", 512, "maskable"),
        ],
    }


def service_worker(assets: Assets) -> str:
    shell = [assets.url(name) for name in SHELL_ASSETS] + [OFFLINE_PATH]
    return environment().get_template("pwa/sw.js").render(version=assets.version, shell=shell)


@router.get(MANIFEST_PATH)
async def web_manifest(request: Request) -> Response:
    """The web app manifest of /app."""
    return JSONResponse(manifest(request.app.state.assets), media_type="application/manifest+json",
                        headers={"Cache-Control": REVALIDATE})


@router.get(SW_PATH)
async def service_worker_script(request: Request) -> Response:
    """The service worker, at the root so that its scope is the whole site."""
    return Response(service_worker(request.app.state.assets),
                    media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": REVALIDATE})


@router.get(OFFLINE_PATH)
async def offline(request: Request) -> Response:
    """What a navigation shows when the network is down; the same for everyone."""
    return render(request, "offline.html", personal=False, viewer=Viewer.visitor(request))
