"""Static files at hashed, immutable addresses; gzip when the browser takes it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.web.assets import IMMUTABLE, STATIC_DIR, Assets, accepts_gzip
from tests.builders import Api

HTMX = STATIC_DIR / "vendor" / "htmx"


async def test_pages_link_hashed_assets(api: Api, app: FastAPI) -> None:
    html = (await api.client.get("/app")).text
    version = app.state.assets.version
    assert re.fullmatch(r"[0-9a-f]{10}", version)
    for name in ("css/app.css", "vendor/htmx/htmx.esm.min.js", "js/csrf.js",
                 "js/sw-register.js"):
        assert f'"/static/{version}/{name}"' in html, name
    assert '<script type="module" src="/static/' in html


@pytest.mark.parametrize(("name", "media_type"), [
    ("css/app.css", "text/css; charset=utf-8"),
    ("js/csrf.js", "text/javascript; charset=utf-8"),
    ("vendor/htmx/htmx.esm.min.js", "text/javascript; charset=utf-8"),
    ("icons/icon-192.png", "image/png"),
])
async def test_hashed_assets_are_immutable(api: Api, app: FastAPI, name: str,
                                           media_type: str) -> None:
    response = await api.client.get(app.state.assets.url(name),
                                     headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == media_type
    assert response.content == (STATIC_DIR / name).read_bytes()


async def test_text_assets_are_gzipped_for_browsers_that_take_it(api: Api, app: FastAPI) -> None:
    url = app.state.assets.url("css/app.css")
    packed = await api.client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < (STATIC_DIR / "css/app.css").stat().st_size
    plain = await api.client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert packed.content == plain.content  # httpx has decoded the gzip


async def test_images_are_not_gzipped(api: Api, app: FastAPI) -> None:
    response = await api.client.get(app.state.assets.url("icons/icon-192.png"),
                                     headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


async def test_another_version_redirects_to_the_current_one(api: Api, app: FastAPI) -> None:
    response = await api.client.get("/static/0123456789/css/app.css")
    assert response.status_code == 302
    assert response.headers["location"] == app.state.assets.url("css/app.css")
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/{v}/css/nothing.css", "/static/{v}/..%2F..%2Fmain.py",
                                  "/static/{v}/", "/static/css/app.css"])
async def test_unknown_files_are_404(api: Api, app: FastAPI, path: str) -> None:
    response = await api.client.get(path.format(v=app.state.assets.version))
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")


def test_version_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a { color: red }")
    (tmp_path / ".hidden").write_text("never served")
    first = Assets(tmp_path)
    assert first.url("css/a.css") == f"/static/{first.version}/css/a.css"
    assert list(first.files) == ["css/a.css"]
    (tmp_path / "css" / "a.css").write_text("a { color: blue }")
    assert Assets(tmp_path).version != first.version
    with pytest.raises(LookupError):
        first.url("css/missing.css")


@pytest.mark.parametrize(("header", "accepted"), [
    ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True),
    ("gzip;q=0", False), ("identity", False), (None, False), ("x-gzip", False),
])
def test_accept_encoding(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_vendored_htmx_is_the_recorded_file() -> None:
    readme = (HTMX / "README.md").read_text()
    digest = hashlib.sha256((HTMX / "htmx.esm.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in readme
    assert "htmx.org` 4.0.1" in readme
    assert 'version="4.0.1"' in (HTMX / "htmx.esm.min.js").read_text()
    assert "Zero-Clause BSD" in (HTMX / "LICENSE").read_text()
