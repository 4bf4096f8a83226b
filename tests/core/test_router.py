from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import httpx

from app.core.config import Settings
from app.main import create_app
from tests.builders import Api, Role

REDIS_URL = os.environ.get("CHORUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def test_healthz_answers_while_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] and body["detail"] and body["type"]


async def test_wrong_method_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.put("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_validation_error_lists_each_field(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post("/api/v1/topics", json={"name": ""}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "name"]


async def test_malformed_json_is_422_problem(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post(
        "/api/v1/topics", content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversize_body_is_413_problem(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    big = {"name": "x", "description": "y" * (2 * 1024 * 1024)}
    response = await api.client.post("/api/v1/topics", json=big, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_label_routes_by_template(api: Api) -> None:
    headers = await api.headers(Role.admin)
    await api.client.get("/api/v1/users/abc123", headers=headers)
    await api.client.get("/api/v1/users/def456", headers=headers)
    text = (await api.client.get("/metrics")).text
    assert 'route="/api/v1/users/{user_id}",status="404"} 2.0' in text
    assert "abc123" not in text


async def test_cursor_pagination_walks_every_item_once(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    for i in range(7):
        created = await api.client.post("/api/v1/topics", json={"name": f"T{i}"}, headers=headers)
        assert created.status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await api.client.get("/api/v1/topics", params=params, headers=headers)).json()
        seen += [t["name"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"T{i}" for i in range(7)]


async def test_forged_cursor_is_422(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.get("/api/v1/topics", params={"cursor": "!!nope"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_readyz_checks_redis_when_configured(settings: Settings) -> None:
    configured = create_app(settings.model_copy(update={"redis_url": REDIS_URL}), run_jobs=False)
    transport = httpx.ASGITransport(app=configured)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")
    await configured.state.db.dispose()
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    broken = create_app(Settings(_env_file=None,  # type: ignore[call-arg]
                                 database_url=f"sqlite+aiosqlite:///{tmp_path}/no/such/dir.db",
                                 redis_url="redis://127.0.0.1:1/0"), run_jobs=False)
    transport = httpx.ASGITransport(app=broken)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")
        alive = await client.get("/healthz")
    await broken.state.db.dispose()
    # aiosqlite stops the thread of a connection that failed to open without waiting for it;
    # the thread then answers on this test's event loop, which must still be open.
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 10)
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
    assert response.json()["checks"]["redis"].startswith("error")
    assert alive.status_code == 200


async def test_unstorable_text_in_a_query_is_422(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    for path in ("/api/v1/posts", "/api/v1/feed", "/api/v1/queue", "/api/v1/mix"):
        response = await api.client.get(path, params={"topic_id": "a\x00b"}, headers=headers)
        assert response.status_code == 422, path
        assert response.json()["errors"][0]["loc"] == ["query", "topic_id"]
