"""Routes are built at startup (``app.core.warm_routes``), not by the first request that
reaches them: that build held the event loop, and every redirect, for seconds."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import _IncludedRouter

from app.core.config import Settings
from app.main import create_app
from tests.builders import Api


@pytest.fixture
def no_building(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails a request that would build a route, once switched on (append anything)."""
    on: list[str] = []
    build = _IncludedRouter._build_effective_context

    def refusing(self: _IncludedRouter, route: object) -> object:
        assert not on, f"a request built {getattr(route, 'path', route)}"
        return build(self, route)

    monkeypatch.setattr(_IncludedRouter, "_build_effective_context", refusing)
    return on


async def test_no_request_builds_a_route_after_startup(settings: Settings,
                                                       no_building: list[str]) -> None:
    app = create_app(settings, run_jobs=False)
    async with app.router.lifespan_context(app):
        no_building.append("on")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, app.state.db)
            _, headers = await api.user()
            for path in ("/api/v1/me", "/api/v1/posts", "/api/v1/leaderboard", "/healthz",
                         "/login", "/app", "/api/v1/nothing-here"):
                response = await client.get(path, headers=headers)
                assert response.status_code < 500, (path, response.text[:200])
    await app.state.db.dispose()


async def test_without_warming_a_request_would_build(settings: Settings,
                                                     no_building: list[str]) -> None:
    """The check above can fail: without the startup's warm-up, the first request builds."""
    app = create_app(settings, run_jobs=False)
    no_building.append("on")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with pytest.raises(AssertionError, match="a request built"):
            await client.get("/api/v1/posts")
    await app.state.clicks.close()
    await app.state.db.dispose()
