"""The pages' gate, CSRF check, unit of work and error pages, on test-only page routes."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from app.core.errors import NotFound
from app.core.routing import DbSession
from app.models import AdvocateVisitor, Topic
from app.web.access import ManagerPage, MarketerPage
from app.web.forms import PageForm
from app.web.routing import page_router
from app.web.templating import render
from tests.builders import Api, Role, make_topic
from tests.web.pages import browser_of, csrf_of

SECRET_DATA = "Q3 launch plan"
pages = page_router(prefix="/test-pages")


@pages.get("/console")
async def console_page(request: Request, user: MarketerPage) -> Response:
    return render(request, "advocate/home.html", {"name": SECRET_DATA})


@pages.post("/console/topics")
async def add_topic(form: PageForm, user: MarketerPage, session: DbSession) -> Response:
    await make_topic(session, name=str(form["name"]))
    if form.get("fail"):
        raise RuntimeError("the page crashed after writing")
    return Response(status_code=204)


@pages.get("/dashboard")
async def dashboard_page(request: Request, user: ManagerPage, week: int = 1) -> Response:
    if week > 52:
        raise NotFound("no such week")
    return render(request, "advocate/home.html", {"name": SECRET_DATA})


@pytest.fixture(autouse=True)
def _test_pages(app: FastAPI) -> None:
    app.include_router(pages)


async def _topics(api: Api) -> list[str]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(Topic.name)))


async def test_visitor_gets_the_login_form_with_next(api: Api) -> None:
    response = await api.client.get("/test-pages/console", params={"tab": "queue"})
    assert response.status_code == 200
    assert 'action="/login"' in response.text
    assert 'name="next" value="/test-pages/console?tab=queue"' in response.text
    assert SECRET_DATA not in response.text


async def test_pages_never_take_a_bearer_token(api: Api) -> None:
    _, headers = await api.user(Role.marketer)
    response = await api.client.get("/test-pages/console", headers=headers)
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert SECRET_DATA not in response.text
    assert (await api.client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_page_views_note_the_advocates_own_visitor(api: Api) -> None:
    # So that their own later clicks from this browser count as self-clicks (CONTRACT §4).
    user, _ = await browser_of(api, Role.advocate)
    await api.client.get("/app")
    async with api.db.transaction() as session:
        noted = list(await session.scalars(select(AdvocateVisitor.user_id)))
    assert noted == [user.id]


async def test_role_without_the_page_gets_403_and_no_data(api: Api) -> None:
    await browser_of(api, Role.advocate)
    response = await api.client.get("/test-pages/console")
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    assert SECRET_DATA not in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("role", "path", "status"), [
    (Role.marketer, "/test-pages/console", 200), (Role.admin, "/test-pages/console", 200),
    (Role.manager, "/test-pages/console", 403), (Role.manager, "/test-pages/dashboard", 200),
    (Role.admin, "/test-pages/dashboard", 200), (Role.marketer, "/test-pages/dashboard", 403),
])
async def test_roles_open_their_pages(api: Api, role: Role, path: str, status: int) -> None:
    await browser_of(api, role)
    response = await api.client.get(path)
    assert response.status_code == status
    assert (SECRET_DATA in response.text) is (status == 200)


async def test_role_without_the_page_cannot_post_to_it(api: Api) -> None:
    await browser_of(api, Role.advocate)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/test-pages/console/topics",
                                     data={"csrf_token": token, "name": "Forbidden"})
    assert response.status_code == 403
    assert await _topics(api) == []


async def test_visitor_post_to_a_gated_page_gets_the_login_form(api: Api) -> None:
    token = csrf_of((await api.client.get("/login")).text)
    response = await api.client.post("/test-pages/console/topics",
                                     data={"csrf_token": token, "name": "Anonymous"})
    assert response.status_code == 401 and 'action="/login"' in response.text
    assert await _topics(api) == []


async def test_page_work_commits_on_success(api: Api) -> None:
    await browser_of(api, Role.marketer)
    token = csrf_of((await api.client.get("/test-pages/console")).text)
    response = await api.client.post("/test-pages/console/topics",
                                     data={"csrf_token": token, "name": "Kept"})
    assert response.status_code == 204
    assert await _topics(api) == ["Kept"]


async def test_page_crash_is_a_500_page_and_changes_nothing(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await browser_of(api, Role.marketer)
    token = csrf_of((await api.client.get("/test-pages/console")).text)
    with caplog.at_level(logging.ERROR, logger="chorus.web"):
        response = await api.client.post("/test-pages/console/topics", data={
            "csrf_token": token, "name": "Lost", "fail": "1"})
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "<html" in response.text
    assert "the page crashed after writing" in caplog.text
    assert await _topics(api) == []


async def test_post_without_token_changes_nothing(api: Api) -> None:
    await browser_of(api, Role.marketer)
    response = await api.client.post("/test-pages/console/topics", data={"name": "Forged"})
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _topics(api) == []


async def test_not_found_in_a_page_is_the_404_page(api: Api) -> None:
    await browser_of(api, Role.manager)
    response = await api.client.get("/test-pages/dashboard", params={"week": 60})
    assert response.status_code == 404 and "Page not found" in response.text


async def test_invalid_query_is_a_page_not_a_problem(api: Api) -> None:
    await browser_of(api, Role.manager)
    response = await api.client.get("/test-pages/dashboard", params={"week": "soon"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/app/nothing-here", "/console/nothing", "/dashboard/x",
                                  "/login/x"])
async def test_unknown_page_address_is_a_404_page_for_browsers(api: Api, path: str) -> None:
    response = await api.client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "content-security-policy" in response.headers


async def test_unknown_api_address_stays_problem_json(api: Api) -> None:
    response = await api.client.get("/api/v1/nothing", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
