"""``/docs`` and ``/redoc``: served from Chorus itself, under a strict Content-Security-Policy."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app import web
from tests.browser.support import (
    DESKTOP,
    browsing,
    chorus_server,
    chromium,
    csp_violations,
    free_port,
)

WEB = Path(web.__file__).parent
VENDOR = WEB / "static" / "vendor"
PAGES = ["/docs", "/redoc"]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


class _Tags(HTMLParser):
    """The page's scripts, style sheets, inline script text and meta tags."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.meta: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.attributes.setdefault(tag, values)
        if tag == "script":
            self._in_script = "src" not in values
            if "src" in values:
                self.urls.append(values["src"])
        elif tag == "link":
            self.urls.append(values["href"])
        elif tag == "meta" and "property" in values:
            self.meta[values["property"]] = values["content"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("path", PAGES)
async def test_the_page_loads_only_its_own_assets(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    tags = _tags(page.text)
    assert tags.urls, "the page loads its bundle"
    assert tags.inline_scripts == []
    for url in tags.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert asset.headers["content-type"].split(";")[0] == expected, url
        assert asset.headers["cache-control"] == "public, max-age=86400"
        assert asset.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
async def test_the_policy_allows_no_inline_script_and_no_other_origin(
        client: httpx.AsyncClient, path: str) -> None:
    first, second = await client.get(path), await client.get(path)
    policy = _policy(first.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    every_source = [s for sources in policy.values() for s in sources]
    assert not [s for s in every_source if s.startswith(("'unsafe-", "http", "*"))]
    # Styles written at run time carry the page's nonce, announced to the page in a meta tag.
    nonce = _tags(first.text).meta["csp-nonce"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert len(nonce) >= 16
    assert _tags(second.text).meta["csp-nonce"] != nonce


async def test_the_pages_read_the_openapi_document_of_the_app(client: httpx.AsyncClient) -> None:
    swagger = _tags((await client.get("/docs")).text).attributes["div"]
    assert swagger == {"id": "swagger-ui", "data-openapi-url": "/openapi.json"}
    redoc = _tags((await client.get("/redoc")).text).attributes["redoc"]
    assert redoc == {"spec-url": "/openapi.json", "disable-telemetry": "true"}
    assert (await client.get("/openapi.json")).status_code == 200


async def test_the_pages_are_not_operations_of_the_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]


@pytest.mark.parametrize("name", [
    "..%2F..%2Fdocs.py", "..%2F..%2F..%2Fmain.py", "%2e%2e%2fdocs.py", "docs.py",
    "LICENSE.txt", "NOTICE.txt", "README.md", "swagger-ui-bundle.js.LICENSE.txt",
    "missing.js", "swagger-ui%2Fswagger-ui.css", "%2Fetc%2Fpasswd",
])
async def test_only_the_vendored_scripts_and_styles_are_served(client: httpx.AsyncClient,
                                                               name: str) -> None:
    response = await client.get(f"/docs/assets/{name}")
    assert response.status_code == 404
    assert "import" not in response.text


async def test_the_pages_other_scripts_are_not_docs_assets(client: httpx.AsyncClient) -> None:
    ours = {"swagger-ui-bundle.js", "redoc.standalone.js", "docs-init.js"}
    others = {f.name for f in (WEB / "static").rglob("*.js")} - ours
    for name in sorted(others):
        assert (await client.get(f"/docs/assets/{name}")).status_code == 404, name


def _readme_hashes(folder: Path) -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$",
                      (folder / "README.md").read_text(), re.M)
    return dict(rows)


@pytest.mark.parametrize("folder", ["swagger-ui", "redoc"])
def test_every_vendored_file_is_the_one_its_readme_names(folder: str) -> None:
    directory = VENDOR / folder
    listed = _readme_hashes(directory)
    present = {f.name for f in directory.iterdir() if f.name != "README.md"}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, name
    assert "LICENSE.txt" in present


def test_the_bundles_name_no_font_or_script_cdn() -> None:
    hosts = ["cdn.redoc.ly", "fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net",
             "unpkg.com", "cdnjs.cloudflare.com"]
    for bundle in [*VENDOR.glob("swagger-ui/*.js"), *VENDOR.glob("swagger-ui/*.css"),
                   *VENDOR.glob("redoc/*.js")]:
        text = bundle.read_text(encoding="utf-8")
        assert [h for h in hosts if h in text] == [], bundle.name


def test_swagger_ui_is_told_not_to_fetch_the_validator_badge() -> None:
    # Swagger UI only shows the badge for specs outside localhost, which the browser test
    # below cannot see.
    init = (WEB / "static" / "js" / "docs-init.js").read_text()
    assert re.search(r"^\s*validatorUrl: null,$", init, re.M)


# Generous: on a busy two-core machine Swagger UI takes some 20 s to lay out Chorus's API.
RENDER_MS = 90_000


@pytest.mark.timeout_sensitive
async def test_both_pages_render_the_api_in_chromium_with_no_policy_violation(
        db_url: str, tmp_path: Path) -> None:
    requested: list[str] = []
    async with (chorus_server(db_url, free_port(), tmp_path) as base, chromium() as browser,
                browsing(browser, base, device=DESKTOP) as context):
        context.on("request", lambda request: requested.append(request.url))
        page = await context.new_page()

        await page.goto("/docs")
        await page.locator(".opblock").first.wait_for(timeout=RENDER_MS)
        assert await page.locator(".opblock").count() >= 20
        login = page.locator(".opblock", has_text="/api/v1/auth/login").first
        await login.locator(".opblock-summary").click(timeout=RENDER_MS)
        await login.locator(".opblock-body").wait_for(timeout=RENDER_MS)
        assert await csp_violations(page) == []

        await page.goto("/redoc")
        await page.get_by_text("/api/v1/auth/login").first.wait_for(timeout=RENDER_MS)
        await page.keyboard.press("Control+k")
        await page.keyboard.type("leaderboard")
        await page.wait_for_timeout(500)
        assert await csp_violations(page) == []
    assert requested and all(url.startswith(f"{base}/") for url in requested), requested
