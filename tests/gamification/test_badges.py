"""Badges (CONTRACT §3): each earned once, never taken back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.content import publisher
from app.core.db import Database
from app.models import User
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, Role, make_post


async def _share_at(db: Database, user: User, when: datetime,
                    network: Network = Network.linkedin) -> None:
    with time_machine.travel(when, tick=False):
        async with db.transaction() as session:
            post = await make_post(session)
            await publisher.run(session)
            await sharing_service.get_or_create(session, user=user, post_id=post.id,
                                                network=network)


async def _badges(api: Api, headers: dict[str, str]) -> list[str]:
    body = (await api.client.get("/api/v1/me/badges", headers=headers)).json()
    return sorted(b["key"] for b in body["items"])


async def test_share_badges_first_ten_and_a_four_week_streak(api: Api) -> None:
    user, headers = await api.user()
    monday = datetime(2026, 2, 2, 10, tzinfo=UTC)
    await _share_at(api.db, user, monday)
    assert await _badges(api, headers) == ["first-share"]
    for week in (1, 2):
        await _share_at(api.db, user, monday + timedelta(weeks=week))
    assert "streak-4" not in await _badges(api, headers)
    await _share_at(api.db, user, monday + timedelta(weeks=3, days=6))
    assert await _badges(api, headers) == ["first-share", "streak-4"]
    for n in range(6):
        await _share_at(api.db, user, monday + timedelta(weeks=4, hours=n))
    badges = (await api.client.get("/api/v1/me/badges", headers=headers)).json()["items"]
    assert [b["key"] for b in badges] == ["first-share", "streak-4", "ten-shares"]
    assert badges[0]["name"] == "First share" and badges[0]["earned_at"].startswith("2026-02-02")


async def test_a_gap_breaks_the_streak(api: Api) -> None:
    user, headers = await api.user()
    monday = datetime(2026, 2, 2, 10, tzinfo=UTC)
    for week in (0, 1, 2, 4):
        await _share_at(api.db, user, monday + timedelta(weeks=week))
    assert "streak-4" not in await _badges(api, headers)


async def test_click_conversion_and_curator_badges(api: Api) -> None:
    admin = await api.headers(Role.admin)
    marketer = await api.headers(Role.marketer)
    user, headers = await api.user()
    await _share_at(api.db, user, datetime.now(UTC))
    share = (await api.client.get("/api/v1/me/shares", headers=headers)).json()["items"][0]
    await api.client.get(f"/s/{share['code']}", headers={"user-agent": "Mozilla/5.0 (X11; "
                         "Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"})
    csv = (await api.client.get("/api/v1/exports/clicks.csv", headers=admin)).text
    click_id = csv.splitlines()[1].split(",")[6]
    key = (await api.client.post("/api/v1/api-keys", headers=admin, json={
        "name": "crm", "scopes": ["conversions:write"]})).json()["key"]
    await api.client.post("/api/v1/conversions", headers={"authorization": f"Bearer {key}"},
                          json={"click_id": click_id, "type": "signup", "external_id": "b1"})
    for n in range(3):
        suggestion = (await api.client.post("/api/v1/suggestions", headers=headers, json={
            "url": f"https://example.org/{n}", "topic_ids": []})).json()
        await api.client.post(f"/api/v1/posts/{suggestion['id']}/approve", headers=marketer,
                              json={"category": "curated"})
    assert await _badges(api, headers) == ["curator", "first-click", "first-conversion",
                                           "first-share"]
