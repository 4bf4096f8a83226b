"""The pages' Content-Security-Policy and companion headers, and templates that keep to it:
no inline style or script, no htmx feature that evaluates code (CONTRACT §8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.security import CONTENT_SECURITY_POLICY
from app.web.templating import TEMPLATES_DIR
from tests.builders import Api, Role
from tests.web.pages import browser_of

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= event handler attribute"),
    (re.compile(r"hx-on", re.I), "hx-on (htmx evaluates it)"),
    (re.compile(r"""hx-(?:vals|headers)\s*=\s*['"]\s*js:""", re.I), "a js: htmx value"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]

JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES_DIR.rglob("*") if p.suffix in (".html", ".svg"))


def _inline_problems(text: str) -> list[str]:
    return [what for pattern, what in INLINE if pattern.search(text)]


def test_policy_is_strict() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/app", "/login", "/offline", "/sw.js",
                                  "/app/manifest.webmanifest"])
async def test_pages_and_pwa_files_carry_the_headers(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name


async def test_static_files_carry_the_headers(api: Api) -> None:
    page = await api.client.get("/app")
    css = re.search(r'href="(/static/[^"]+\.css)"', page.text)
    assert css
    response = await api.client.get(css.group(1))
    assert response.status_code == 200
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name


async def test_redirects_carry_the_headers(api: Api) -> None:
    response = await api.client.get("/")
    assert response.status_code == 303
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_json_api_is_left_alone(api: Api) -> None:
    response = await api.client.get("/api/v1/me")
    assert "content-security-policy" not in response.headers


async def test_signed_in_pages_are_never_stored(api: Api) -> None:
    await browser_of(api, Role.admin)
    response = await api.client.get("/app")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["vary"] == "Cookie, Accept-Language"


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.name)
def test_templates_keep_to_the_policy(template: Path) -> None:
    markup = JINJA_COMMENT.sub("", template.read_text())
    assert not _inline_problems(markup), template


@pytest.mark.parametrize("role", [None, *Role])
async def test_rendered_pages_keep_to_the_policy(api: Api, role: Role | None) -> None:
    if role is not None:
        await browser_of(api, role)
    for path in ("/app", "/login?next=/app", "/offline", "/app/no-such-page"):
        response = await api.client.get(path, headers={"Accept": "text/html"},
                                        follow_redirects=True)
        assert response.headers["content-type"].startswith("text/html"), path
        assert not _inline_problems(response.text), path
        assert not re.search(r'(?:src|href)="(?:https?:)?//', response.text), path


def test_the_checks_catch_what_they_look_for() -> None:
    assert _inline_problems('<p style="color:red">') == ["a style= attribute"]
    assert _inline_problems("<script>alert(1)</script>") == ["an inline <script>"]
    assert _inline_problems('<script type="module" src="/static/x.js"></script>') == []
    assert _inline_problems('<button hx-on:click="go()">') == ["hx-on (htmx evaluates it)"]
    assert _inline_problems('<img src="x" onerror="go()">') == ["an on…= event handler attribute"]
