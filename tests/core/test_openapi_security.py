"""``/openapi.json`` declares how to authenticate, and what each operation accepts."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.builders import Api
from tests.test_authorization_matrix import API, CONVERSIONS_KEY, PUBLIC, ROUTE_ROLES

BEARER = {"bearer": []}
SESSION = {"session": []}
NOTHING: dict[str, list[str]] = {}
OUTSIDE_THE_API: dict[tuple[str, str], list[dict[str, list[str]]]] = {
    ("get", "/healthz"): [],
    ("get", "/readyz"): [],
    ("get", "/metrics"): [BEARER, NOTHING],  # bearer once CHORUS_METRICS_TOKEN is set
    ("get", "/s/{code}"): [],
    ("head", "/s/{code}"): [],
    ("get", "/t.js"): [],
    ("post", "/t/conversions"): [],
}


def expected_security(method: str, path: str) -> list[dict[str, list[str]]]:
    need = ROUTE_ROLES[(method.upper(), path)]
    if need == PUBLIC:
        return []
    if need == CONVERSIONS_KEY:
        return [BEARER]  # an API key, never a user's session
    return [BEARER, SESSION]


async def test_the_document_declares_its_security_schemes(api: Api) -> None:
    document: dict[str, Any] = (await api.client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "A token from login, or an API key."},
        "session": {"type": "apiKey", "in": "cookie", "name": "chorus_session",
                    "description": "Set by login for the web pages; unsafe methods also "
                                   "need the X-CSRF-Token header."},
    }
    assert "security" not in document, "no credentials are needed unless an operation says so"


async def test_each_operation_names_what_it_accepts(api: Api, app: FastAPI) -> None:
    document: dict[str, Any] = (await api.client.get("/openapi.json")).json()
    seen = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            if path.startswith(f"{API}/"):
                expected = expected_security(method, path)
            elif (method, path) in OUTSIDE_THE_API:
                expected = OUTSIDE_THE_API[(method, path)]
            else:
                continue  # pages and other documents are not the API's
            assert operation.get("security", []) == expected, where
            seen.add((method.upper(), path))
    assert {k for k in ROUTE_ROLES} <= seen
    assert ("POST", f"{API}/auth/login") in seen and ("GET", "/healthz") in seen
