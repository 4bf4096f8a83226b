"""/app/settings' network connections: connect LinkedIn (on to LinkedIn and back), its
status, disconnect; forms need the page's CSRF token like every other form."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import respx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.core.config import Settings
from app.models.networks import NetworkConnection, OAuthState
from app.web.security import CONTENT_SECURITY_POLICY
from tests.builders import Api
from tests.networks.conftest import LINKEDIN_TOKEN, connect, json_answer
from tests.web.pages import browser_of, csrf_of


async def count(api: Api, model: type[object]) -> int:
    async with api.db.transaction() as session:
        return len(list(await session.scalars(select(model))))


async def test_connecting_linkedin_from_settings_and_back(
        api: Api, respx_mock: respx.MockRouter) -> None:
    user, _ = await browser_of(api)
    html = (await api.client.get("/app/settings")).text
    assert 'action="/app/connections/linkedin"' in html and "Connect LinkedIn" in html
    assert "Not connected." in html
    assert "Nothing to connect: your company" in html

    response = await api.client.post("/app/connections/linkedin",
                                     data={"csrf_token": csrf_of(html)})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert (target.netloc, target.path) == ("www.linkedin.com", "/oauth/v2/authorization")
    [state] = parse_qs(target.query)["state"]

    respx_mock.post(LINKEDIN_TOKEN).mock(return_value=json_answer("linkedin/token_code.json"))
    back = await api.client.get("/api/v1/connections/linkedin/callback",
                                params={"code": "c", "state": state})
    assert back.status_code == 303
    page = await api.client.get(back.headers["location"])
    assert page.status_code == 200
    assert "LinkedIn is connected." in page.text and "Connected until" in page.text
    assert 'action="/app/connections/linkedin/disconnect"' in page.text
    async with api.db.transaction() as session:
        connection = await session.scalar(select(NetworkConnection))
    assert connection is not None and connection.user_id == user.id

    gone = await api.client.post("/app/connections/linkedin/disconnect",
                                 data={"csrf_token": csrf_of(page.text)})
    assert gone.headers["location"] == "/app/settings?linkedin=disconnected#connections"
    assert await count(api, NetworkConnection) == 0
    after = await api.client.get(gone.headers["location"])
    assert "LinkedIn is disconnected" in after.text


async def test_the_forms_need_the_pages_token(api: Api, settings: Settings) -> None:
    user, _ = await browser_of(api)
    await connect(api.db, settings, user, access="kept")
    for path in ("/app/connections/linkedin", "/app/connections/linkedin/disconnect"):
        response = await api.client.post(path, data={})
        assert response.status_code == 403, path
        assert "Form not accepted" in response.text
    assert await count(api, OAuthState) == 0
    assert await count(api, NetworkConnection) == 1


async def test_a_connection_to_renew_and_a_linkedin_not_set_up(
        api: Api, app: FastAPI, settings: Settings) -> None:
    user, _ = await browser_of(api)
    await connect(api.db, settings, user, access="old", expires_in=timedelta(days=3))
    async with api.db.transaction() as session:
        await session.execute(update(NetworkConnection).values(status="needs_reauth"))
    html = (await api.client.get("/app/settings")).text
    assert "LinkedIn needs you to connect again." in html
    assert 'action="/app/connections/linkedin"' in html

    app.state.settings = settings.model_copy(update={"linkedin_client_id": None,
                                                     "x_bearer_token": None})
    html = (await api.client.get("/app/settings")).text
    assert "Your company has not set up LinkedIn statistics" in html
    assert "Your company has not set up X statistics" in html
    assert 'action="/app/connections/linkedin"' not in html
    response = await api.client.post("/app/connections/linkedin",
                                     data={"csrf_token": csrf_of(html)})
    assert response.headers["location"] == "/app/settings?linkedin=failed#connections"
    assert await count(api, OAuthState) == 0


async def test_the_connections_speak_thai(api: Api) -> None:
    await browser_of(api)
    html = (await api.client.get("/app/settings", params={"linkedin": "denied"},
                                 headers={"Accept-Language": "th"})).text
    assert "การเชื่อมต่อเครือข่าย" in html
    assert "เชื่อมต่อ LinkedIn" in html
    assert "ไม่ได้เชื่อมต่อ LinkedIn: ไม่ได้รับอนุญาตให้เข้าถึง" in html


async def test_the_settings_page_lets_its_form_end_at_linkedin_only(api: Api) -> None:
    """Browsers hold a form's redirects to the page's form-action: the connect form ends at
    LinkedIn's consent page, and nothing else of the policy changes."""
    await browser_of(api)
    policy = (await api.client.get("/app/settings")).headers["content-security-policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["form-action"] == "'self' https://www.linkedin.com"
    strict = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert {k: v for k, v in directives.items() if k != "form-action"} == {
        k: v for k, v in strict.items() if k != "form-action"}
    other = (await api.client.get("/app/me")).headers["content-security-policy"]
    assert other == CONTENT_SECURITY_POLICY
