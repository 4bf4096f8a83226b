"""``OPTIONS`` and ``HEAD`` on every path, and 405s that name every method of the path."""

from __future__ import annotations

import re
from collections import defaultdict

from fastapi import FastAPI
from starlette.routing import compile_path

from tests.builders import Api, Role
from tests.routes import iter_api_routes

UNKNOWN_ID = "0123456789abcdef0123456789abcdef"


def methods_by_path(app: FastAPI) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path, route in iter_api_routes(app):
        found[path] |= route.methods or set()
    return found


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abcdefgh", path)


def _taking(paths: dict[str, set[str]], url: str) -> set[str]:
    """The methods of every path template that takes ``url`` (``/users/import`` is also
    ``/users/{user_id}`` with the id ``import``, so a GET there is a 404, not a 405)."""
    return {method for path, methods in paths.items() if compile_path(path)[0].match(url)
            for method in methods}


async def test_options_answers_every_path_with_its_methods(api: Api, app: FastAPI) -> None:
    paths = methods_by_path(app)
    assert "/api/v1/topics/{topic_id}" in paths
    for path in sorted(paths):
        url = _url(path)
        methods = _taking(paths, url)
        if "OPTIONS" in methods:
            continue  # the route answers OPTIONS itself (a CORS preflight)
        expected = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        response = await api.client.options(url, headers={"Origin": "https://a.example"})
        assert response.status_code == 204, f"{path}: {response.status_code} {response.text}"
        assert set(response.headers["allow"].split(", ")) == expected, path
        assert response.content == b""
        assert not [h for h in response.headers if h.startswith("access-control-")], path


async def test_options_on_an_unknown_path_is_404(api: Api) -> None:
    for path in ("/api/v1/nothing", "/api/v1/topics/a/b", "/nothing"):
        response = await api.client.options(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_405_names_every_method_of_the_path(api: Api) -> None:
    response = await api.client.put("/api/v1/topics")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


async def test_head_is_a_get_without_its_body(api: Api) -> None:
    _, headers = await api.user(Role.manager)
    for path in ("/api/v1/topics", "/api/v1/me", "/healthz", "/api/v1/exports/shares.csv"):
        got = await api.client.get(path, headers=headers)
        head = await api.client.head(path, headers=headers)
        assert got.status_code == head.status_code == 200, f"{path}: {head.status_code}"
        assert got.content and head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
    # The caller is checked as for GET.
    assert (await api.client.head("/api/v1/topics")).status_code == 401
    advocate = await api.headers(Role.advocate)
    assert (await api.client.head("/api/v1/groups", headers=advocate)).status_code == 403
    response = await api.client.head(f"/api/v1/topics/{UNKNOWN_ID}", headers=headers)
    assert response.status_code == 404 and response.content == b""
