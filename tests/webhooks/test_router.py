"""``/api/v1/webhooks`` (CONTRACT §3): registration, the secret shown once, refused URLs
(SSRF), pause and re-enable, deletion, and who may do any of it."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app.core.config import Env, Settings
from app.core.crypto import cipher_for
from app.core.errors import Invalid
from app.models.webhooks import WebhookEndpoint
from app.webhooks import service as webhooks_service
from tests.builders import Api, Role
from tests.dns import fake_dns
from tests.webhooks.support import ALL_EVENTS, register

URL = "https://hooks.example.com/chorus"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    return fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"],
                                  "other.example.com": ["2606:4700::6810:84e5"],
                                  "internal.example.com": ["10.20.30.40"],
                                  "mixed.example.com": ["93.184.216.34", "192.168.1.9"]})


async def _stored(api: Api) -> list[WebhookEndpoint]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(WebhookEndpoint)))


async def test_a_webhook_is_registered_with_a_secret_shown_once_and_kept_encrypted(
        api: Api, settings: Settings) -> None:
    body, admin = await register(api, URL, ["share.created", "click.created", "share.created"])
    assert set(body) >= {"id", "url", "events", "secret", "created_at", "active", "status"}
    assert (body["url"], body["events"]) == (URL, ["share.created", "click.created"])
    assert (body["active"], body["status"]) == (True, "active")
    assert body["secret"].startswith("whsec_")
    assert 24 <= len(base64.b64decode(body["secret"].removeprefix("whsec_"))) <= 64

    listed = (await api.client.get("/api/v1/webhooks", headers=admin)).json()
    assert [w["id"] for w in listed["items"]] == [body["id"]]
    assert listed["next_cursor"] is None
    one = (await api.client.get(f"/api/v1/webhooks/{body['id']}", headers=admin)).json()
    assert "secret" not in listed["items"][0] and "secret" not in one
    [stored] = await _stored(api)
    assert body["secret"] not in stored.secret
    async with api.db.transaction() as session:
        assert (await cipher_for(session, settings)).decrypt(stored.secret) == body["secret"]


async def test_each_webhook_gets_its_own_secret(api: Api) -> None:
    first, _ = await register(api, URL)
    second, _ = await register(api, "https://other.example.com/in")
    assert first["secret"] != second["secret"]


async def test_unknown_event_names_are_422_naming_the_valid_ones(api: Api) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/webhooks", headers=admin, json={
        "url": URL, "events": ["share.created", "share.deleted"]})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert all(name in response.text for name in ALL_EVENTS)
    empty = await api.client.post("/api/v1/webhooks", headers=admin,
                                  json={"url": URL, "events": []})
    assert empty.status_code == 422
    assert await _stored(api) == []


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "/hooks", "hooks.example.com",
                                 "https://", "javascript:alert(1)"])
async def test_a_url_that_is_not_absolute_http_is_422(api: Api, url: str) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/webhooks", headers=admin,
                                     json={"url": url, "events": ["share.created"]})
    assert response.status_code == 422
    assert await _stored(api) == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hooks", "http://10.0.0.1/hooks", "http://169.254.169.254/latest/",
    "http://[::1]/hooks", "http://[::ffff:127.0.0.1]/hooks", "http://0.0.0.0:8080/",
    "https://internal.example.com/hooks", "https://mixed.example.com/hooks",
])
async def test_a_url_reaching_a_private_address_is_422(api: Api, url: str) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/webhooks", headers=admin,
                                     json={"url": url, "events": ["share.created"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "url"]
    assert "private" in response.json()["detail"]
    assert await _stored(api) == []


async def test_a_host_that_does_not_resolve_is_422(api: Api) -> None:
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://nowhere.example.com/hooks", "events": ["share.created"]})
    assert response.status_code == 422
    assert "resolved" in response.json()["detail"]


async def test_private_addresses_are_allowed_when_configured(settings: Settings) -> None:
    allowing = settings.model_copy(update={"allow_private_webhooks": True})
    await webhooks_service.check_url("http://127.0.0.1:9000/hooks", allowing)
    await webhooks_service.check_url("http://10.0.0.1/hooks", allowing)
    with pytest.raises(Invalid):
        await webhooks_service.check_url("http://10.0.0.1/hooks", settings)


async def test_plain_http_is_refused_in_production(settings: Settings) -> None:
    prod = settings.model_copy(update={"env": Env.prod})
    with pytest.raises(Invalid, match="https"):
        await webhooks_service.check_url("http://hooks.example.com/x", prod)
    await webhooks_service.check_url("https://hooks.example.com/x", prod)
    await webhooks_service.check_url("http://hooks.example.com/x", settings)


async def test_patch_pauses_changes_and_refuses_a_private_url_without_changing_anything(
        api: Api) -> None:
    body, admin = await register(api, URL)
    path = f"/api/v1/webhooks/{body['id']}"
    paused = await api.client.patch(path, headers=admin, json={"active": False})
    assert paused.status_code == 200
    assert (paused.json()["active"], paused.json()["status"]) == (False, "disabled")
    assert paused.json()["inactive_since"] is not None

    refused = await api.client.patch(path, headers=admin, json={
        "url": "https://internal.example.com/x", "events": ["post.published"]})
    assert refused.status_code == 422
    unchanged = (await api.client.get(path, headers=admin)).json()
    assert (unchanged["url"], unchanged["events"]) == (URL, ["share.created"])

    changed = await api.client.patch(path, headers=admin, json={
        "url": "https://other.example.com/in", "events": ["post.published"], "active": True})
    assert changed.status_code == 200
    assert changed.json()["url"] == "https://other.example.com/in"
    assert changed.json()["events"] == ["post.published"]
    assert (changed.json()["active"], changed.json()["status"]) == (True, "active")
    assert changed.json()["inactive_since"] is None


async def test_delete_removes_it_and_unknown_ids_are_404(api: Api) -> None:
    body, admin = await register(api, URL)
    path = f"/api/v1/webhooks/{body['id']}"
    assert (await api.client.delete(path, headers=admin)).status_code == 204
    assert await _stored(api) == []
    for method, suffix in [("GET", ""), ("DELETE", ""), ("PATCH", ""), ("GET", "/deliveries")]:
        response = await api.client.request(method, path + suffix, headers=admin,
                                            json={"active": True} if method == "PATCH" else None)
        assert response.status_code == 404, (method, suffix)


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer, Role.manager])
async def test_only_admins_may_use_webhooks(api: Api, role: Role) -> None:
    body, _ = await register(api, URL)
    headers = await api.headers(role)
    path = f"/api/v1/webhooks/{body['id']}"
    calls = [("POST", "/api/v1/webhooks", {"url": URL, "events": ["share.created"]}),
             ("GET", "/api/v1/webhooks", None), ("GET", path, None),
             ("PATCH", path, {"active": False}), ("DELETE", path, None),
             ("GET", f"{path}/deliveries", None)]
    for method, url, payload in calls:
        refused = await api.client.request(method, url, headers=headers, json=payload)
        assert refused.status_code == 403, (method, url)
        anonymous = await api.client.request(method, url, json=payload)
        assert anonymous.status_code == 401, (method, url)
    [stored] = await _stored(api)
    assert stored.status == "active"
