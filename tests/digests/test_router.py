"""The digests' API (CONTRACT §3): reminder settings and channels, for admins only; bad
input is 422 problem+json and changes nothing; webhook URLs on private addresses are
refused (SSRF) and stored URLs are encrypted and never shown."""

from __future__ import annotations

import socket
from ipaddress import ip_address
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core import fetch as fetch_module
from app.core.config import Settings
from app.core.crypto import Cipher
from app.core.db import Database
from app.models.digests import Channel
from tests.builders import Api, Role
from tests.conftest import SECRET

API = "/api/v1"
DEFAULTS = {"enabled": True, "weekday_digest": [1], "hour": 9, "min_new_posts": 1}
SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
DNS = {"hooks.slack.com": ["52.1.2.3"], "corp.webhook.office.com": ["20.1.2.3"],
       "intranet.corp.test": ["10.20.30.40"], "mixed.corp.test": ["52.1.2.4", "192.168.1.9"]}


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    async def resolve(host: str, _port: int) -> list[fetch_module.IPAddress]:
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(a) for a in DNS[host]]

    monkeypatch.setattr(fetch_module, "resolve", resolve)


async def test_reminder_settings_start_with_the_defaults(api: Api) -> None:
    answer = await api.client.get(f"{API}/settings/reminders",
                                  headers=await api.headers(Role.admin))

    assert answer.status_code == 200 and answer.json() == DEFAULTS


async def test_an_admin_replaces_the_reminder_settings(api: Api) -> None:
    headers = await api.headers(Role.admin)
    body = {"enabled": False, "weekday_digest": [5, 1, 5], "hour": 17, "min_new_posts": 3}

    saved = await api.client.put(f"{API}/settings/reminders", json=body, headers=headers)
    read = await api.client.get(f"{API}/settings/reminders", headers=headers)

    expected = {"enabled": False, "weekday_digest": [1, 5], "hour": 17, "min_new_posts": 3}
    assert saved.status_code == 200 and saved.json() == expected
    assert read.json() == expected


@pytest.mark.parametrize("change", [
    {"weekday_digest": [0]}, {"weekday_digest": [8]}, {"weekday_digest": []},
    {"weekday_digest": ["1"]}, {"weekday_digest": [True]}, {"weekday_digest": 1},
    {"hour": 24}, {"hour": -1}, {"hour": "9"}, {"hour": 9.5},
    {"min_new_posts": 0}, {"min_new_posts": None}, {"enabled": "yes"}, {"enabled": 1},
    {"weekdays": [1]},
])
async def test_bad_reminder_settings_are_refused_and_change_nothing(
        api: Api, change: dict[str, Any]) -> None:
    headers = await api.headers(Role.admin)

    answer = await api.client.put(f"{API}/settings/reminders", json={**DEFAULTS, "hour": 7,
                                                                     **change}, headers=headers)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"]
    read = await api.client.get(f"{API}/settings/reminders", headers=headers)
    assert read.json() == DEFAULTS


@pytest.mark.parametrize("role", [Role.advocate, Role.marketer, Role.manager])
async def test_only_admins_see_or_change_reminder_settings_and_channels(
        api: Api, role: Role) -> None:
    headers = await api.headers(role)

    calls = [
        await api.client.get(f"{API}/settings/reminders", headers=headers),
        await api.client.put(f"{API}/settings/reminders", json={"hour": 99}, headers=headers),
        await api.client.post(f"{API}/channels", json={"kind": "slack", "url": SLACK,
                                                       "name": "#x"}, headers=headers),
        await api.client.post(f"{API}/channels", content=b"{garbage", headers=headers),
        await api.client.get(f"{API}/channels", headers=headers),
        await api.client.delete(f"{API}/channels/anything", headers=headers),
    ]

    assert [c.status_code for c in calls] == [403] * 6
    assert await _channel_count(api.db) == 0


async def test_anonymous_callers_are_refused(api: Api) -> None:
    answers = [await api.client.get(f"{API}/settings/reminders"),
               await api.client.get(f"{API}/channels")]

    assert [a.status_code for a in answers] == [401, 401]


async def _channel_count(db: Database) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Channel)) or 0


async def test_a_channel_is_registered_with_its_url_encrypted_and_never_shown(
        api: Api, settings: Settings) -> None:
    headers = await api.headers(Role.admin)

    answer = await api.client.post(f"{API}/channels", headers=headers, json={
        "kind": "slack", "url": SLACK, "name": " #marketing "})

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"id", "kind", "name", "host", "created_at", "last_sent_at",
                         "last_error"}
    assert (body["kind"], body["name"], body["host"], body["last_sent_at"],
            body["last_error"]) == ("slack", "#marketing", "hooks.slack.com", None, None)
    listed = await api.client.get(f"{API}/channels", headers=headers)
    assert listed.json() == {"items": [body], "next_cursor": None}
    assert "XXXXXXXX" not in listed.text
    async with api.db.transaction() as session:
        stored = await session.get(Channel, body["id"])
        assert stored is not None
        assert "XXXXXXXX" not in stored.url_encrypted
        assert Cipher(SECRET).decrypt(stored.url_encrypted) == SLACK


async def test_a_teams_workflow_url_is_accepted(api: Api) -> None:
    url = ("https://corp.webhook.office.com/workflows/abc/triggers/manual/paths/invoke"
           "?api-version=1&sig=secret")

    answer = await api.client.post(f"{API}/channels", headers=await api.headers(Role.admin),
                                   json={"kind": "teams", "url": url, "name": "Sales"})

    assert answer.status_code == 201
    assert (answer.json()["kind"], answer.json()["host"]) == ("teams",
                                                              "corp.webhook.office.com")


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest",
    "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://intranet.corp.test/hook",
    "https://mixed.corp.test/hook", "https://localhost.invalid/hook",
    "http://hooks.slack.com/services/T/B/X", "ftp://hooks.slack.com/x", "/services/T/B/X",
    "hooks.slack.com/services/T/B/X", "https://user:pass@hooks.slack.com/services/T/B/X",
    "https://hooks.slack.com:99999/x", "https:///nohost", "https://hooks.slack.com/a b",
    "https://hooks.slack.com/a\nb", "javascript:alert(1)", "//hooks.slack.com/x",
])
async def test_unsafe_or_malformed_webhook_urls_are_refused(api: Api, url: str) -> None:
    answer = await api.client.post(f"{API}/channels", headers=await api.headers(Role.admin),
                                   json={"kind": "slack", "url": url, "name": "#x"})

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "url"]
    assert await _channel_count(api.db) == 0


@pytest.mark.parametrize("body", [
    {"kind": "discord", "url": SLACK, "name": "#x"}, {"kind": "slack", "url": SLACK},
    {"kind": "slack", "url": SLACK, "name": "   "}, {"kind": "slack", "url": SLACK,
                                                    "name": "x" * 101},
    {"kind": "slack", "url": SLACK, "name": "#x", "secret": "y"},
    {"kind": "slack", "url": "https://hooks.slack.com/" + "a" * 2048, "name": "#x"},
])
async def test_bad_channel_bodies_are_refused(api: Api, body: dict[str, Any]) -> None:
    answer = await api.client.post(f"{API}/channels", headers=await api.headers(Role.admin),
                                   json=body)

    assert answer.status_code == 422
    assert await _channel_count(api.db) == 0


async def test_private_receivers_are_allowed_when_the_deployment_says_so(
        api: Api, app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"allow_private_webhooks": True})

    answer = await api.client.post(f"{API}/channels", headers=await api.headers(Role.admin),
                                   json={"kind": "teams", "name": "On-prem",
                                         "url": "http://intranet.corp.test:8080/hook"})

    assert answer.status_code == 201 and answer.json()["host"] == "intranet.corp.test"


async def test_the_same_url_twice_is_a_conflict(api: Api) -> None:
    headers = await api.headers(Role.admin)
    first = await api.client.post(f"{API}/channels", headers=headers,
                                  json={"kind": "slack", "url": SLACK, "name": "#a"})

    second = await api.client.post(f"{API}/channels", headers=headers,
                                   json={"kind": "slack", "url": SLACK, "name": "#b"})

    assert (first.status_code, second.status_code) == (201, 409)
    assert await _channel_count(api.db) == 1


async def test_channels_are_listed_oldest_first_a_page_at_a_time(api: Api) -> None:
    headers = await api.headers(Role.admin)
    ids = []
    for n in range(3):
        created = await api.client.post(f"{API}/channels", headers=headers, json={
            "kind": "slack", "url": f"{SLACK}{n}", "name": f"#c{n}"})
        ids.append(created.json()["id"])

    first = await api.client.get(f"{API}/channels?limit=2", headers=headers)
    cursor = first.json()["next_cursor"]
    second = await api.client.get(f"{API}/channels", params={"limit": 2, "cursor": cursor},
                                  headers=headers)

    assert [c["id"] for c in first.json()["items"]] == ids[:2] and cursor
    assert [c["id"] for c in second.json()["items"]] == ids[2:]
    assert second.json()["next_cursor"] is None


async def test_a_deleted_channel_is_gone(api: Api) -> None:
    headers = await api.headers(Role.admin)
    created = await api.client.post(f"{API}/channels", headers=headers,
                                    json={"kind": "slack", "url": SLACK, "name": "#a"})
    channel_id = created.json()["id"]

    deleted = await api.client.delete(f"{API}/channels/{channel_id}", headers=headers)
    again = await api.client.delete(f"{API}/channels/{channel_id}", headers=headers)
    malformed = await api.client.delete(f"{API}/channels/not%20an%20id", headers=headers)

    assert (deleted.status_code, again.status_code, malformed.status_code) == (204, 404, 404)
    assert (await api.client.get(f"{API}/channels", headers=headers)).json()["items"] == []
