"""``/api/v1/connections`` (CONTRACT §3): connecting LinkedIn with OAuth's authorisation
code, the state single-use, short-lived and bound to the member who started it, the tokens
stored encrypted, each network's status, disconnecting."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import respx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import Cipher
from app.core.db import Database
from app.models.networks import NetworkConnection, OAuthState
from tests.builders import Api, Role
from tests.conftest import SECRET
from tests.networks.conftest import LINKEDIN_TOKEN, connect, json_answer
from tests.web.pages import browser_of

API = "/api/v1/connections"
CALLBACK = f"{API}/linkedin/callback"


async def start(api: Api, headers: dict[str, str]) -> str:
    """Start connecting LinkedIn; the state sent to LinkedIn."""
    response = await api.client.post(f"{API}/linkedin", headers=headers)
    assert response.status_code == 200, response.text
    query = parse_qs(urlsplit(response.json()["authorize_url"]).query)
    [state] = query["state"]
    return state


async def rows(db: Database, model: type[Any]) -> list[Any]:
    async with db.transaction() as session:
        return list(await session.scalars(select(model)))


async def test_start_sends_the_member_to_linkedin_with_a_hashed_state(api: Api) -> None:
    user, headers = await api.user()
    before = utcnow()
    response = await api.client.post(f"{API}/linkedin", headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    url = urlsplit(body["authorize_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "www.linkedin.com",
                                                  "/oauth/v2/authorization")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    state = query.pop("state")
    assert query == {"response_type": "code", "client_id": "chorus-client-id",
                     "redirect_uri": "http://127.0.0.1:8000/api/v1/connections/linkedin/callback",
                     "scope": "r_member_postAnalytics"}
    assert len(state) >= 32
    [stored] = await rows(api.db, OAuthState)
    assert stored.state_hash == hashlib.sha256(state.encode()).hexdigest()
    assert stored.user_id == user.id and stored.network == "linkedin"
    assert timedelta(minutes=9) < stored.expires_at - before <= timedelta(minutes=11)


async def test_the_callback_stores_the_tokens_encrypted(
        api: Api, respx_mock: respx.MockRouter) -> None:
    user, headers = await api.user()
    state = await start(api, headers)
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_code_with_refresh.json"))

    response = await api.client.get(CALLBACK, headers=headers,
                                     params={"code": "the-code", "state": state})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["network"], body["status"], body["connectable"]) == (
        "linkedin", "connected", True)
    sent = token.calls.last.request
    assert sent.headers["host"] == "www.linkedin.com"
    assert {k: v[0] for k, v in parse_qs(sent.content.decode()).items()} == {
        "grant_type": "authorization_code", "code": "the-code",
        "redirect_uri": "http://127.0.0.1:8000/api/v1/connections/linkedin/callback",
        "client_id": "chorus-client-id", "client_secret": "chorus-client-secret"}
    [connection] = await rows(api.db, NetworkConnection)
    assert connection.user_id == user.id and connection.status == "connected"
    # Encrypted: the columns do not hold the tokens, the secret key opens them.
    assert "AQX-first-access-token-0001" not in connection.access_token
    assert connection.refresh_token is not None
    assert "AQR-first-refresh-token-0001" not in connection.refresh_token
    cipher = Cipher(SECRET)
    assert cipher.decrypt(connection.access_token) == "AQX-first-access-token-0001"
    assert cipher.decrypt(connection.refresh_token) == "AQR-first-refresh-token-0001"
    assert connection.expires_at is not None
    assert abs(connection.expires_at - (utcnow() + timedelta(days=60))) < timedelta(minutes=1)
    assert await rows(api.db, OAuthState) == []

    listed = await api.client.get(API, headers=headers)
    assert listed.status_code == 200
    assert [(c["network"], c["status"]) for c in listed.json()["items"]] == [
        ("linkedin", "connected"), ("x", "connected"), ("facebook", "not_connected")]
    assert listed.json()["next_cursor"] is None


async def test_a_state_is_used_once(api: Api, respx_mock: respx.MockRouter) -> None:
    _, headers = await api.user()
    state = await start(api, headers)
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_code.json"))
    first = await api.client.get(CALLBACK, headers=headers,
                                 params={"code": "c1", "state": state})
    again = await api.client.get(CALLBACK, headers=headers,
                                 params={"code": "c2", "state": state})
    assert first.status_code == 200
    assert again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"
    assert token.call_count == 1


async def test_a_state_belongs_to_the_member_who_started(
        api: Api, respx_mock: respx.MockRouter) -> None:
    """Someone else's state (an attacker's link followed by a victim) is refused, and left
    for its owner."""
    _, owner = await api.user()
    _, other = await api.user()
    state = await start(api, owner)
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_code.json"))

    stolen = await api.client.get(CALLBACK, headers=other,
                                  params={"code": "c", "state": state})
    assert stolen.status_code == 422
    assert token.call_count == 0
    assert await rows(api.db, NetworkConnection) == []

    mine = await api.client.get(CALLBACK, headers=owner, params={"code": "c", "state": state})
    assert mine.status_code == 200


async def test_a_state_lasts_ten_minutes(api: Api, respx_mock: respx.MockRouter) -> None:
    _, headers = await api.user()
    state = await start(api, headers)
    token = respx_mock.post(LINKEDIN_TOKEN).mock(
        return_value=json_answer("linkedin/token_code.json"))
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        late = await api.client.get(CALLBACK, headers=headers,
                                    params={"code": "c", "state": state})
    assert late.status_code == 422
    assert token.call_count == 0


async def test_a_wrong_or_missing_state_is_refused(api: Api) -> None:
    _, headers = await api.user()
    await start(api, headers)
    for params in ({"code": "c", "state": "guessed"}, {"code": "c"}, {}):
        response = await api.client.get(CALLBACK, headers=headers, params=params)
        assert response.status_code == 422, params
    assert len(await rows(api.db, OAuthState)) == 1


async def test_the_callback_needs_the_members_session(api: Api) -> None:
    response = await api.client.get(CALLBACK, params={"code": "c", "state": "s"})
    assert response.status_code == 401


async def test_a_browser_goes_back_to_its_settings(
        api: Api, respx_mock: respx.MockRouter) -> None:
    user, token = await browser_of(api)
    state = await start(api, {"Authorization": f"Bearer {token}"})
    respx_mock.post(LINKEDIN_TOKEN).mock(return_value=json_answer("linkedin/token_code.json"))

    response = await api.client.get(CALLBACK, params={"code": "c", "state": state})
    assert response.status_code == 303
    assert response.headers["location"] == "/app/settings?linkedin=connected#connections"
    [connection] = await rows(api.db, NetworkConnection)
    assert connection.user_id == user.id

    again = await api.client.get(CALLBACK, params={"code": "c", "state": state})
    assert again.headers["location"] == "/app/settings?linkedin=expired#connections"


async def test_a_member_who_declines_is_told_and_nothing_is_stored(
        api: Api, respx_mock: respx.MockRouter) -> None:
    _, token = await browser_of(api)
    state = await start(api, {"Authorization": f"Bearer {token}"})
    route = respx_mock.post(LINKEDIN_TOKEN)
    response = await api.client.get(CALLBACK, params={
        "error": "user_cancelled_authorize", "error_description": "The user cancelled",
        "state": state})
    assert response.headers["location"] == "/app/settings?linkedin=denied#connections"
    assert route.call_count == 0
    assert await rows(api.db, NetworkConnection) == []
    assert await rows(api.db, OAuthState) == []


async def test_a_code_linkedin_refuses_is_422_and_an_outage_502(
        api: Api, respx_mock: respx.MockRouter) -> None:
    _, headers = await api.user()
    respx_mock.post(LINKEDIN_TOKEN).mock(side_effect=[
        json_answer("linkedin/token_error_invalid_grant.json", 400),
        httpx.Response(503), httpx.ConnectTimeout("slow")])
    statuses = []
    for _ in range(3):
        state = await start(api, headers)
        response = await api.client.get(CALLBACK, headers=headers,
                                        params={"code": "c", "state": state})
        assert response.headers["content-type"] == "application/problem+json"
        statuses.append(response.status_code)
    assert statuses == [422, 502, 502]
    assert await rows(api.db, NetworkConnection) == []


async def test_networks_without_a_member_connection(api: Api, app: FastAPI,
                                                     settings: Settings) -> None:
    _, headers = await api.user()
    for network in ("x", "facebook"):
        for method, path in (("POST", f"{API}/{network}"), ("DELETE", f"{API}/{network}"),
                             ("GET", f"{API}/{network}/callback")):
            response = await api.client.request(method, path, headers=headers)
            assert response.status_code == 422, (method, path)
    for method, path in (("POST", f"{API}/whatsapp"), ("POST", f"{API}/nope"),
                         ("DELETE", f"{API}/nope"), ("GET", f"{API}/nope/callback")):
        response = await api.client.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path)

    app.state.settings = settings.model_copy(update={"linkedin_client_secret": None,
                                                     "x_bearer_token": None})
    response = await api.client.post(f"{API}/linkedin", headers=headers)
    assert response.status_code == 409
    assert await rows(api.db, OAuthState) == []
    listed = (await api.client.get(API, headers=headers)).json()["items"]
    assert [(c["network"], c["status"], c["connectable"]) for c in listed] == [
        ("linkedin", "not_connected", False), ("x", "not_connected", False),
        ("facebook", "not_connected", False)]


async def test_disconnecting_forgets_the_tokens(api: Api, settings: Settings) -> None:
    user, headers = await api.user()
    _, other_headers = await api.user()
    await connect(api.db, settings, user, access="a-token")

    assert (await api.client.delete(f"{API}/linkedin", headers=other_headers)).status_code == 404
    assert len(await rows(api.db, NetworkConnection)) == 1
    response = await api.client.delete(f"{API}/linkedin", headers=headers)
    assert response.status_code == 204
    assert await rows(api.db, NetworkConnection) == []
    assert (await api.client.delete(f"{API}/linkedin", headers=headers)).status_code == 404


async def test_an_expired_token_without_refresh_needs_reauth(
        api: Api, settings: Settings) -> None:
    user, headers = await api.user(Role.manager)
    await connect(api.db, settings, user, access="old", expires_in=timedelta(days=-1))
    listed = (await api.client.get(API, headers=headers)).json()["items"]
    assert listed[0]["network"] == "linkedin" and listed[0]["status"] == "needs_reauth"


async def test_tokens_open_after_a_key_rotation(api: Api, settings: Settings) -> None:
    user, _ = await api.user()
    await connect(api.db, settings, user, access="kept-across-rotation")
    [connection] = await rows(api.db, NetworkConnection)
    rotated = Cipher("a-brand-new-secret-key-0123456789abcdef", [SECRET])
    assert rotated.decrypt(connection.access_token) == "kept-across-rotation"
    assert "kept-across-rotation" not in rotated.rotate(connection.access_token)


async def test_a_callback_after_linkedin_was_unset_is_409(
        api: Api, app: FastAPI, settings: Settings) -> None:
    _, headers = await api.user()
    state = await start(api, headers)
    app.state.settings = settings.model_copy(update={"linkedin_client_id": None})
    response = await api.client.get(CALLBACK, headers=headers,
                                    params={"code": "c", "state": state})
    assert response.status_code == 409
    assert len(await rows(api.db, OAuthState)) == 1
