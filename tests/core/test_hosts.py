"""Nothing is built from the request's ``Host``: redirects are relative, and in production a
request naming a host other than ``CHORUS_BASE_URL``'s (or loopback) is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router

from app.content import publisher
from app.core.config import Settings
from app.core.db import Database
from app.core.slashes import SlashRedirect
from app.main import create_app
from app.models import Click
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, make_post, make_user
from tests.conftest import SECRET

AppFactory = Callable[..., FastAPI]


async def _code(db: Database) -> str:
    async with db.transaction() as session:
        post = await make_post(session)
        await publisher.run(session)
        share, _, _ = await sharing_service.get_or_create(
            session, user=await make_user(session), post_id=post.id, network=Network.linkedin)
    return share.code


async def _clicks(db: Database) -> int:
    """Clicks recorded (the log's included: projected first)."""
    if db.projector is not None:
        await db.projector.catch_up()
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Click)) or 0)


@pytest.fixture
async def make_app(db_url: str) -> AsyncIterator[AppFactory]:
    made: list[FastAPI] = []

    def make(**values: str) -> FastAPI:
        settings = Settings(_env_file=None, database_url=db_url, secret_key=SECRET,  # type: ignore[call-arg]
                            **values)
        made.append(create_app(settings, run_jobs=False))
        return made[-1]

    yield make
    for application in made:
        await application.state.clicks.close()
        await application.state.db.dispose()


async def _get(app: FastAPI, path: str, host: str | None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    headers = {"host": host} if host is not None else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


# --- redirects --------------------------------------------------------------------------


async def test_a_trailing_slash_redirect_is_relative_and_keeps_the_query(
        app: FastAPI, api: Api) -> None:
    code = await _code(api.db)
    for path, location in (
        (f"/s/{code}/", f"/s/{code}"),
        ("/api/v1/topics/?limit=5&cursor=a%20b", "/api/v1/topics?limit=5&cursor=a%20b"),
        ("/healthz/", "/healthz"),
        ("/api/v1/exports/sh%C3%A9res.csv/", "/api/v1/exports/sh%C3%A9res.csv"),
    ):
        response = await _get(app, path, host="evil.example")
        assert response.status_code == 307, f"{path}: {response.text}"
        assert response.headers["location"] == location
    assert await _clicks(api.db) == 0
    # A path that names nothing either way stays a 404.
    response = await _get(app, "/api/v1/nothing/", host="evil.example")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_redirect_never_names_another_origin() -> None:
    """``//host`` in a Location is another origin: such a path is not redirected, even when
    a route would take it."""
    async def page(_request: object) -> PlainTextResponse:
        return PlainTextResponse("page")

    router = Router(routes=[Route("//{host}", page)], redirect_slashes=False)
    router.default = SlashRedirect(router)
    transport = httpx.ASGITransport(app=router)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("http://testserver//evil.example/")
    assert response.status_code == 404
    assert "location" not in response.headers


# --- the Host check in production -------------------------------------------------------


async def test_in_prod_only_the_base_urls_host_and_loopback_are_answered(
        make_app: AppFactory) -> None:
    app = make_app(env="prod", base_url="https://chorus.example.com")
    code = await _code(app.state.db)
    for host in ("chorus.example.com", "Chorus.Example.COM", "chorus.example.com:443",
                 "127.0.0.1", "127.0.0.1:8000", "localhost:8000", "[::1]:8000", "[::1]"):
        response = await _get(app, "/healthz", host=host)
        assert response.status_code == 200, f"{host}: {response.text}"
    assert (await _get(app, f"/s/{code}", host="chorus.example.com")).status_code == 302
    assert await _clicks(app.state.db) == 1

    for host in ("evil.example", "chorus.example.com.evil.example", "chorus.example.com:8443",
                 "evil.example:443", "10.0.0.5", "", "chorus.example.com@evil.example",
                 "127.0.0.1:8000@evil.example", "localhost.evil.example", "::1"):
        for path in ("/healthz", f"/s/{code}", f"/s/{code}/", "/api/v1/me", "/nothing"):
            response = await _get(app, path, host=host)
            assert response.status_code == 400, f"{host} {path}: {response.text}"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 400
            assert "location" not in response.headers
    assert await _clicks(app.state.db) == 1, "a refused tracked link records no click"


async def test_a_base_url_with_a_port_needs_that_port(make_app: AppFactory) -> None:
    app = make_app(env="prod", base_url="https://chorus.example.com:8443")
    assert (await _get(app, "/healthz", host="chorus.example.com:8443")).status_code == 200
    for host in ("chorus.example.com", "chorus.example.com:443"):
        assert (await _get(app, "/healthz", host=host)).status_code == 400, host


async def test_in_dev_any_host_is_answered(make_app: AppFactory) -> None:
    app = make_app(base_url="https://chorus.example.com")
    for host in ("evil.example", "testserver", "chorus.example.com"):
        assert (await _get(app, "/healthz", host=host)).status_code == 200, host
