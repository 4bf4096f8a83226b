"""Signing in and out with the pages' forms, and the start page ``/`` (CONTRACT §2, §8)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.auth.principal import CSRF_COOKIE, SESSION_COOKIE
from app.auth.throttle import PER_EMAIL
from app.core.ratelimit import client_key
from app.models import AuthToken
from tests.builders import PASSWORD, Api, Role, bearer
from tests.conftest import SECRET
from tests.web.pages import browser_of, csrf_of, form_token

CLIENT_ADDRESS = "203.0.113.7"  # the conftest client's


async def _login(api: Api, email: str, password: str = PASSWORD, *, next_path: str = "/app",
                 **headers: str) -> object:
    token = await form_token(api.client, "/login")
    return await api.client.post("/login", data={
        "email": email, "password": password, "next": next_path, "csrf_token": token},
        headers=headers)


async def _tokens(api: Api) -> int:
    async with api.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(AuthToken)) or 0)


async def test_visitor_gets_the_login_form_on_app(api: Api) -> None:
    response = await api.client.get("/app")
    assert response.status_code == 200
    html = response.text
    assert '<form class="form" method="post" action="/login">' in html
    assert '<input type="hidden" name="next" value="/app">' in html
    assert 'name="email"' in html and 'name="password"' in html
    assert response.headers["cache-control"] == "no-store"


async def test_login_sets_the_api_cookies_and_goes_to_next(api: Api) -> None:
    await api.user(Role.advocate, email="ana@corp.test")
    response = await _login(api, "ANA@corp.test", next_path="/app?topic=news")
    assert response.status_code == 303
    assert response.headers["location"] == "/app?topic=news"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "httponly" in session.lower() and "samesite=lax" in session.lower()
    assert any(c.startswith(CSRF_COOKIE + "=") for c in cookies)
    token = response.cookies[SESSION_COOKIE]
    me = await api.client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["email"] == "ana@corp.test"


@pytest.mark.parametrize("next_path", [
    "//evil.example/", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "",
    "app", "javascript:alert(1)",
])
async def test_login_never_sends_the_browser_to_another_site(api: Api, next_path: str) -> None:
    await api.user(Role.advocate, email="bo@corp.test")
    response = await _login(api, "bo@corp.test", next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_wrong_password_says_so_and_keeps_the_email(api: Api) -> None:
    await api.user(Role.advocate, email="cy@corp.test")
    response = await _login(api, "cy@corp.test", "not the password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert 'value="cy@corp.test"' in response.text
    assert SESSION_COOKIE not in response.cookies
    assert await _tokens(api) == 1  # only the builder's own session


async def test_throttled_login_says_when_to_retry(api: Api, app: FastAPI) -> None:
    await api.user(Role.advocate, email="di@corp.test")
    client = client_key(CLIENT_ADDRESS, SECRET)
    for _ in range(PER_EMAIL.amount):
        await app.state.login_throttle.record_failure("di@corp.test", client)
    response = await _login(api, "di@corp.test")  # the right password, still refused
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    assert "Too many failed sign-ins" in response.text and "minutes" in response.text
    assert SESSION_COOKIE not in response.cookies


async def test_login_without_the_pre_session_cookie_is_refused(api: Api) -> None:
    await api.user(Role.advocate, email="ed@corp.test")
    token = await form_token(api.client, "/login")
    api.client.cookies.clear()
    response = await api.client.post("/login", data={
        "email": "ed@corp.test", "password": PASSWORD, "next": "/app", "csrf_token": token})
    assert response.status_code == 403
    assert "Form not accepted" in response.text
    assert SESSION_COOKIE not in response.cookies


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
])
async def test_cross_site_login_is_refused_even_with_the_token(api: Api,
                                                               headers: dict[str, str]) -> None:
    await api.user(Role.advocate, email="fa@corp.test")
    response = await _login(api, "fa@corp.test", **headers)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies
    assert await _tokens(api) == 1


async def test_same_origin_login_passes_the_origin_check(api: Api) -> None:
    await api.user(Role.advocate, email="gi@corp.test")
    response = await _login(api, "gi@corp.test", **{"Origin": "http://testserver",
                                                    "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303


async def test_logout_without_the_token_changes_nothing(api: Api) -> None:
    _, token = await browser_of(api)
    response = await api.client.post("/logout", data={})
    assert response.status_code == 403
    assert "reload the page" in response.text
    me = await api.client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200


async def test_logout_with_the_token_ends_the_session(api: Api) -> None:
    _, token = await browser_of(api)
    page = await api.client.get("/app")
    response = await api.client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/app"
    assert 'chorus_session=""' in response.headers["set-cookie"]
    me = await api.client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 401


async def test_logout_takes_the_token_in_the_header_too(api: Api) -> None:
    _, token = await browser_of(api)
    page = await api.client.get("/app")
    response = await api.client.post("/logout", headers={"X-CSRF-Token": csrf_of(page.text)})
    assert response.status_code == 303


async def test_another_sessions_token_does_not_log_out(api: Api) -> None:
    await browser_of(api)
    other_page = await api.client.get("/app")
    _, token = await browser_of(api)  # the browser now carries someone else's session
    response = await api.client.post("/logout", data={"csrf_token": csrf_of(other_page.text)})
    assert response.status_code == 403
    assert (await api.client.get("/api/v1/me", headers=bearer(token))).status_code == 200


@pytest.mark.parametrize(("role", "start"), [
    (Role.advocate, "/app"), (Role.marketer, "/console"), (Role.manager, "/dashboard"),
    (Role.admin, "/dashboard"),
])
async def test_start_page_follows_the_role_whatever_the_host(api: Api, role: Role,
                                                            start: str) -> None:
    await browser_of(api, role)
    response = await api.client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 303
    assert response.headers["location"] == start


async def test_start_page_sends_visitors_to_app(api: Api) -> None:
    response = await api.client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 303 and response.headers["location"] == "/app"


async def test_expired_session_cookie_is_a_visitor_and_is_dropped(api: Api) -> None:
    api.client.cookies.set(SESSION_COOKIE, "no-such-session")
    response = await api.client.get("/app")
    assert response.status_code == 200 and 'action="/login"' in response.text
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(f'{SESSION_COOKIE}=""') for c in cookies)


async def test_signed_in_user_skips_the_login_form(api: Api) -> None:
    await browser_of(api)
    response = await api.client.get("/login", params={"next": "/app"})
    assert response.status_code == 303 and response.headers["location"] == "/app"


async def test_app_greets_the_signed_in_user(api: Api) -> None:
    await browser_of(api, name="Ana Lima")
    response = await api.client.get("/app")
    assert response.status_code == 200
    assert "<h1>Hello Ana Lima</h1>" in response.text
    assert 'action="/logout"' in response.text


async def test_login_form_keeps_only_a_safe_next(api: Api) -> None:
    safe = await api.client.get("/login", params={"next": "/dashboard?week=3"})
    assert '<input type="hidden" name="next" value="/dashboard?week=3">' in safe.text
    unsafe = await api.client.get("/login", params={"next": "//evil.example/x"})
    assert '<input type="hidden" name="next" value="/">' in unsafe.text
