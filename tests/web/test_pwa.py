"""The installable app: the manifest, the service worker's caching rules (run in Node with
fake caches and network), the offline page, and the CSRF module the pages load."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.web.assets import STATIC_DIR
from app.web.pwa import OFFLINE_PATH
from tests.builders import Api, Role
from tests.web.pages import browser_of

HARNESS = Path(__file__).parent / "js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js runs the service-worker tests")
PAGES = ("/app", "/app?tab=feed", "/console", "/dashboard", "/login", "/")


def _node(script: str, *args: str) -> dict[str, object]:
    assert NODE is not None
    done = subprocess.run([NODE, str(HARNESS / script), *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_manifest_makes_the_app_installable(api: Api, app: FastAPI) -> None:
    response = await api.client.get("/app/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Chorus" and manifest["short_name"] == "Chorus"
    assert manifest["start_url"] == "/app" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    icons = {(i["sizes"], i["purpose"]): i for i in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), icon in icons.items():
        assert icon["type"] == "image/png"
        assert icon["src"].startswith(f"/static/{app.state.assets.version}/icons/")
        file = STATIC_DIR / icon["src"].split("/", 3)[3]
        assert "x".join(map(str, _png_size(file))) == sizes
        assert (await api.client.get(icon["src"])).status_code == 200


async def test_pages_link_the_manifest(api: Api) -> None:
    html = (await api.client.get("/app")).text
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in html


async def test_service_worker_is_served_from_the_root(api: Api) -> None:
    response = await api.client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "service-worker-allowed" not in response.headers
    assert 'addEventListener("fetch"' in response.text


async def test_offline_page_shows_nobodys_data(api: Api) -> None:
    await browser_of(api, Role.admin, name="Private Person")
    response = await api.client.get(OFFLINE_PATH)
    assert response.status_code == 200
    assert "You are offline" in response.text
    assert "Private Person" not in response.text
    assert 'action="/logout"' not in response.text and "csrf-token" not in response.text
    assert response.headers["cache-control"] == "no-cache"
    assert "set-cookie" not in response.headers


async def test_service_worker_register_module_is_on_every_page(api: Api, app: FastAPI) -> None:
    html = (await api.client.get("/app")).text
    assert f'src="{app.state.assets.url("js/sw-register.js")}"' in html
    module = (STATIC_DIR / "js" / "sw-register.js").read_text()
    assert 'register("/sw.js", { scope: "/" })' in module


@needs_node
async def test_service_worker_keeps_only_the_shell(api: Api, app: FastAPI,
                                                   tmp_path: Path) -> None:
    script = tmp_path / "sw.js"
    script.write_text((await api.client.get("/sw.js")).text)
    version = app.state.assets.version
    css = app.state.assets.url("css/app.css")
    probes = [{"path": p, "mode": "navigate"} for p in PAGES] + [
        {"path": "/api/v1/me"}, {"path": "/api/v1/posts?limit=5"},
        {"path": "/app/feed-fragment"}, {"path": "/s/abc123"},
        {"path": "/api/v1/shares", "method": "POST"},
        {"path": "/login", "method": "POST", "mode": "navigate"},
        {"path": css}, {"path": f"/static/{version}/js/later.js"},
        {"path": "https://cdn.example/static/x.js"},
    ]
    report = _node("sw_harness.mjs", str(script), json.dumps(probes))

    installed = report["installed"]
    assert isinstance(installed, list) and OFFLINE_PATH in installed and css in installed
    assert all(p == OFFLINE_PATH or p.startswith(f"/static/{version}/") for p in installed)
    assert report["cacheNames"] == [f"chorus-shell-{version}"]
    handled = report["handled"]
    assert isinstance(handled, dict)
    assert handled[f"cors GET {css}"] is True
    assert handled["navigate GET /app"] is True  # network first, /offline if it fails
    for probe in ("cors GET /api/v1/me", "cors GET /api/v1/posts?limit=5",
                  "cors GET /app/feed-fragment", "cors GET /s/abc123",
                  "cors POST /api/v1/shares", "navigate POST /login",
                  "cors GET https://cdn.example/static/x.js"):
        assert handled[probe] is False, probe
    cached = report["cachedAfter"]
    assert isinstance(cached, list)
    assert sorted(set(cached) - set(installed)) == [f"/static/{version}/js/later.js"]
    assert not any(p.startswith(("/api", "/app", "/console", "/dashboard", "/login", "/s/"))
                   or p == "/" for p in cached)
    assert report["offlineNavigation"] == "network:/offline"
    assert report["offlineStatic"] is not None
    assert report["afterActivate"] == [f"chorus-shell-{version}", "someone-elses-cache"]


@needs_node
def test_csrf_module_adds_the_token_to_same_origin_requests_only() -> None:
    report = _node("csrf_harness.mjs", str(STATIC_DIR / "js" / "csrf.js"))
    assert report["htmx"] == {"/app/shares": "page-token",
                              "http://testserver/console/posts": "page-token",
                              "https://evil.example/x": None}
    assert report["fetch"] == [
        {"url": "/api/v1/shares", "token": "page-token", "credentials": "same-origin"},
        {"url": "https://evil.example/collect", "token": None, "credentials": "same-origin"},
    ]
