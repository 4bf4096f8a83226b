"""Conversions (CONTRACT §3 "Measurement"): idempotent, attributed only to counted clicks."""

from __future__ import annotations

import asyncio
import json

import httpx
import time_machine
from sqlalchemy import func, select

from app.content import publisher
from app.core.clock import utcnow
from app.models import Click, Conversion
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, Role, bearer, make_post, make_user, token_for

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")


async def _key(api: Api, scopes: list[str]) -> dict[str, str]:
    admin = await api.headers(Role.admin)
    created = await api.client.post("/api/v1/api-keys", headers=admin,
                                    json={"name": "crm", "scopes": scopes})
    return bearer(created.json()["key"])


async def _clicked(api: Api, *, user_agent: str = CHROME, own: bool = False
                   ) -> tuple[str, str, str]:
    """A click on a fresh share: (click id, share id, advocate id)."""
    async with api.db.transaction() as session:
        post = await make_post(session)
        await publisher.run(session)
        advocate = await make_user(session)
        share, _, _ = await sharing_service.get_or_create(session, user=advocate,
                                                          post_id=post.id, network=Network.x)
        token = await token_for(session, advocate)
    if own:
        api.client.cookies.set("chorus_session", token)
    await api.client.get(f"/s/{share.code}", headers={"user-agent": user_agent})
    api.client.cookies.clear()
    async with api.db.transaction() as session:
        click_id = await session.scalar(select(Click.click_id).where(Click.share_id == share.id))
    assert click_id is not None
    return click_id, share.id, advocate.id


async def _count(api: Api) -> int:
    async with api.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversion)) or 0)


async def test_an_attributed_conversion_names_the_click_share_and_advocate(api: Api) -> None:
    key = await _key(api, ["conversions:write"])
    click_id, share_id, advocate_id = await _clicked(api)
    response = await api.client.post("/api/v1/conversions", headers=key, json={
        "click_id": click_id, "type": "deal", "value": "1200.50", "currency": "eur",
        "occurred_at": "2026-11-20T10:00:00+01:00", "external_id": "deal-7"})
    assert response.status_code == 201
    body = response.json()
    assert body["attributed"] is True
    assert (body["share_id"], body["advocate_id"]) == (share_id, advocate_id)
    assert body["value"] == "1200.50" and body["currency"] == "EUR"
    assert body["occurred_at"] == "2026-11-20T09:00:00Z"


async def test_replays_store_one_record_sequentially_and_concurrently(api: Api) -> None:
    key = await _key(api, ["conversions:write"])
    click_id, _, _ = await _clicked(api)
    payload = {"click_id": click_id, "type": "signup", "value": 5, "external_id": "s-1"}
    first = await api.client.post("/api/v1/conversions", headers=key, json=payload)
    replays = [await api.client.post("/api/v1/conversions", headers=key,
                                     json={**payload, "value": 99}) for _ in range(2)]
    assert first.status_code == 201 and [r.status_code for r in replays] == [200, 200]
    assert all(r.json() == first.json() for r in replays)
    concurrent = await asyncio.gather(*[
        api.client.post("/api/v1/conversions", headers=key,
                        json={**payload, "external_id": "s-2"}) for _ in range(3)])
    # CONTRACT §2: the POST that creates it answers 201, the replays 200 with the same record.
    assert sorted(r.status_code for r in concurrent) == [200, 200, 201]
    assert len({r.json()["id"] for r in concurrent}) == 1
    assert concurrent[0].json()["id"] != first.json()["id"]
    assert await _count(api) == 2


async def test_unknown_bot_and_self_clicks_store_unattributed(api: Api) -> None:
    key = await _key(api, ["conversions:write"])
    bot_click, _, _ = await _clicked(api, user_agent="Twitterbot/1.0")
    own_click, _, _ = await _clicked(api, own=True)
    for n, click_id in enumerate(["no-such-click-id-000", bot_click, own_click, None]):
        response = await api.client.post("/api/v1/conversions", headers=key, json={
            "click_id": click_id, "type": "download", "external_id": f"u-{n}"})
        assert response.status_code == 201
        body = response.json()
        assert body["attributed"] is False
        assert body["share_id"] is body["advocate_id"] is body["post_id"] is None
        assert body["currency"] == "USD"


async def test_wrong_or_read_only_keys_are_refused(api: Api) -> None:
    read_key = await _key(api, ["read"])
    _, user = await api.user(Role.admin)
    payload = {"type": "signup", "external_id": "k-1"}
    assert (await api.client.post("/api/v1/conversions", json=payload)).status_code == 401
    assert (await api.client.post("/api/v1/conversions", json=payload,
                                  headers=bearer("chk_not-a-key"))).status_code == 401
    assert (await api.client.post("/api/v1/conversions", json=payload,
                                  headers=read_key)).status_code == 403
    assert (await api.client.post("/api/v1/conversions", json=payload,
                                  headers=user)).status_code == 403
    assert await _count(api) == 0


async def test_bad_values_are_422(api: Api) -> None:
    key = await _key(api, ["conversions:write"])
    for value in ["abc", "-1", "1e400", "NaN", True, "1.1234567"]:
        response = await api.client.post("/api/v1/conversions", headers=key, json={
            "type": "deal", "value": value, "external_id": "v"})
        assert response.status_code == 422, value
    assert (await api.client.post("/api/v1/conversions", headers=key, json={
        "type": "deal", "currency": "EURO", "external_id": "v"})).status_code == 422
    assert await _count(api) == 0


async def test_site_keys_are_admin_managed(api: Api) -> None:
    admin = await api.headers(Role.admin)
    created = await api.client.post("/api/v1/site-keys", headers=admin, json={
        "name": "www", "origins": ["https://www.example.com/", "http://localhost:3000"]})
    assert created.status_code == 201
    key = created.json()
    assert key["origins"] == ["http://localhost:3000", "https://www.example.com"]
    assert key["key"].startswith("chs_")
    listed = (await api.client.get("/api/v1/site-keys", headers=admin)).json()["items"]
    assert [k["id"] for k in listed] == [key["id"]]
    bad = await api.client.post("/api/v1/site-keys", headers=admin, json={
        "name": "x", "origins": ["https://example.com/path"]})
    assert bad.status_code == 422
    assert (await api.client.delete(f"/api/v1/site-keys/{key['id']}",
                                    headers=admin)).status_code == 204
    assert (await api.client.get("/api/v1/site-keys", headers=admin)).json()["items"] == []


async def test_site_conversions_need_a_registered_origin(api: Api, client: httpx.AsyncClient
                                                         ) -> None:
    admin = await api.headers(Role.admin)
    key = (await api.client.post("/api/v1/site-keys", headers=admin, json={
        "name": "www", "origins": ["https://shop.example.com"]})).json()["key"]
    click_id, share_id, _ = await _clicked(api)
    body = json.dumps({"site_key": key, "click_id": click_id, "type": "signup",
                       "external_id": "w-1"})
    refused = await client.post("/t/conversions", content=body, headers={
        "origin": "https://evil.example.com", "content-type": "text/plain"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    ok = await client.post("/t/conversions", content=body, headers={
        "origin": "https://shop.example.com", "content-type": "text/plain"})
    assert ok.status_code == 201
    assert ok.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "set-cookie" not in ok.headers
    assert ok.json()["attributed"] is True and ok.json()["share_id"] == share_id
    again = await client.post("/t/conversions", content=body, headers={
        "origin": "https://shop.example.com"})
    assert again.status_code == 200
    preflight = await client.options("/t/conversions", headers={
        "origin": "https://shop.example.com", "access-control-request-method": "POST"})
    assert preflight.status_code == 204
    assert await _count(api) == 1


async def test_site_conversions_are_rate_limited(api: Api, client: httpx.AsyncClient) -> None:
    admin = await api.headers(Role.admin)
    key = (await api.client.post("/api/v1/site-keys", headers=admin, json={
        "name": "www", "origins": ["https://shop.example.com"]})).json()["key"]
    statuses = []
    with time_machine.travel(utcnow(), tick=False):  # the 35 requests within one instant
        for n in range(35):
            response = await client.post("/t/conversions", headers={
                "origin": "https://shop.example.com"},
                content=json.dumps({"site_key": key, "type": "signup", "external_id": f"r-{n}"}))
            statuses.append(response.status_code)
    assert statuses[:30] == [201] * 30 and statuses[30:] == [429] * 5
    assert response.headers["retry-after"] == "60"  # 30 a minute, all 30 taken just now


async def test_the_snippet_is_served_as_javascript(client: httpx.AsyncClient) -> None:
    response = await client.get("/t.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert '"chorus_cid"' in response.text and "credentials: \"omit\"" in response.text
    assert "document.cookie" not in response.text


async def test_errors_carry_cors_headers_only_for_a_verified_origin(
        api: Api, client: httpx.AsyncClient) -> None:
    admin = await api.headers(Role.admin)
    key = (await api.client.post("/api/v1/site-keys", headers=admin, json={
        "name": "www", "origins": ["https://shop.example.com"]})).json()["key"]
    garbage = await client.post("/t/conversions", content="not json",
                                headers={"origin": "https://evil.example"})
    assert garbage.status_code == 422
    assert "access-control-allow-origin" not in garbage.headers
    missing_type = await client.post("/t/conversions", headers={
        "origin": "https://shop.example.com"}, content=json.dumps({"site_key": key}))
    assert missing_type.status_code == 422
    assert "access-control-allow-origin" not in missing_type.headers


async def test_currencies_and_times_at_the_edges_of_what_is_taken(api: Api) -> None:
    """ISO 4217 codes, current and historical, in any case; times from the first instant of
    2000 to the last of 2999 in UTC, whatever the offset they are written with."""
    key = await _key(api, ["conversions:write"])

    async def send(n: int, currency: str, occurred_at: str) -> httpx.Response:
        return await api.client.post("/api/v1/conversions", headers=key, json={
            "click_id": "none", "type": "deal", "value": "1", "currency": currency,
            "occurred_at": occurred_at, "external_id": f"edge-{n}"})

    taken = [("thb", "2000-01-01T00:00:00Z", "THB", "2000-01-01T00:00:00Z"),
             ("DEM", "2999-12-31T23:59:59Z", "DEM", "2999-12-31T23:59:59Z"),
             ("usd", "2000-01-01T08:00:00+07:00", "USD", "2000-01-01T01:00:00Z")]
    for n, (currency, sent, stored_currency, stored_at) in enumerate(taken):
        response = await send(n, currency, sent)
        assert response.status_code == 201, response.text
        assert (response.json()["currency"], response.json()["occurred_at"]) == (
            stored_currency, stored_at)
    # 06:00 at +07:00 on the first day of 2000 is still 1999 in UTC.
    refused = [("USD", "2000-01-01T06:00:00+07:00"), ("QQQ", "2026-01-01T00:00:00Z")]
    for n, (currency, sent) in enumerate(refused, start=len(taken)):
        assert (await send(n, currency, sent)).status_code == 422
    assert await _count(api) == len(taken)
