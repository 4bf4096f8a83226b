"""Helpers for the gamification tests (their own, so that other suites can change theirs).

Everything here acts through the public API or writes raw records the way a user would cause
them; expected values in the tests are hand-computed literals, never read back from the code
under test. Clicks go through the real ``GET /s/{code}`` path: each visitor is its own client
address with a browser user agent, so the app's own visitor hashing decides uniqueness.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from app.content import publisher
from app.core.config import Settings
from app.core.db import Database
from app.models import Badge, PeriodStats, PointsEntry, Share, ShareDay, User
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import Api, make_post
from tests.conftest import SECRET

BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like "
           "Gecko) Version/17.4 Safari/605.1.15")
DEFAULT_RULES = {"share_created": 10, "unique_click": 2, "unique_click_daily_cap": 50,
                 "attributed_conversion": 20, "suggestion_approved": 15}


def zoned_settings(db_url: str, zone: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,
                    timezone=zone)


def at(when: datetime) -> Any:
    """Freeze the clock at ``when`` (every thread, the click writer's included)."""
    return time_machine.travel(when, tick=False)


async def set_rules(api: Api, admin: dict[str, str], when: datetime,
                    **changes: int) -> None:
    """Change the point rules through the admin API at ``when`` (the other rules kept)."""
    with at(when):
        current = (await api.client.get("/api/v1/settings/points", headers=admin)).json()
        response = await api.client.put("/api/v1/settings/points", headers=admin,
                                        json={**current, **changes})
    assert response.status_code == 200, response.text
    assert response.json() == {**current, **changes}


async def published_post(db: Database, when: datetime) -> str:
    with at(when):
        async with db.transaction() as session:
            post = await make_post(session)
            await publisher.run(session)
    return post.id


async def share_via_api(api: Api, headers: dict[str, str], when: datetime,
                        network: str = "linkedin") -> dict[str, Any]:
    """A new post, published, shared by the caller through ``POST …/shares`` at ``when``."""
    post_id = await published_post(api.db, when)
    with at(when):
        response = await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                                         json={"network": network})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def share_at(db: Database, user: User, when: datetime,
                   network: Network = Network.linkedin) -> Share:
    """A new published post shared by ``user`` at ``when`` (the sharing service, as the
    API's handler calls it)."""
    with at(when):
        async with db.transaction() as session:
            post = await make_post(session)
            await publisher.run(session)
            share, _, created = await sharing_service.get_or_create(
                session, user=user, post_id=post.id, network=network)
    assert created
    return share


class Visitors:
    """Browsers following tracked links, each from its own address."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def click(self, code: str, visitor: str, when: datetime) -> str:
        """``visitor`` follows ``/s/{code}`` at ``when``; returns the click id of the 302."""
        client = self._clients.get(visitor)
        if client is None:
            address = f"198.51.100.{len(self._clients) + 1}"
            transport = httpx.ASGITransport(app=self._app, client=(address, 40000))
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                       headers={"user-agent": BROWSER})
            self._clients[visitor] = client
        with at(when):
            response = await client.get(f"/s/{code}")
        assert response.status_code == 302, response.text
        # The 302 waits for the click's commit, points included: nothing to wait for.
        return dict(parse_qsl(urlsplit(response.headers["location"]).query))["chorus_cid"]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


async def ledger(db: Database, user_id: str, kind: str | None = None
                 ) -> list[tuple[str, int]]:
    """The user's ledger rows as (kind, points), in event order."""
    async with db.transaction() as session:
        query = select(PointsEntry.kind, PointsEntry.points, PointsEntry.occurred_at,
                       PointsEntry.event_key).where(PointsEntry.user_id == user_id)
        if kind is not None:
            query = query.where(PointsEntry.kind == kind)
        rows = (await session.execute(query)).all()
    # The tests give every event its own instant, so time alone orders them.
    assert len({r[2] for r in rows}) == len(rows), "two events of one instant: ambiguous order"
    return [(k, p) for k, p, _, _ in sorted(rows, key=lambda r: r[2])]


async def click_points(db: Database, share_id: str) -> list[int]:
    """Points of the share's click rows, in time order (one click per instant in tests)."""
    async with db.transaction() as session:
        rows = (await session.execute(
            select(PointsEntry.occurred_at, PointsEntry.points)
            .where(PointsEntry.share_id == share_id, PointsEntry.kind == "click"))).all()
    assert len({t for t, _ in rows}) == len(rows), "two clicks of one instant: ambiguous order"
    return [p for _, p in sorted(rows)]


async def totals(db: Database, user_id: str) -> dict[tuple[str, str], tuple[int, ...]]:
    """Every period row of the user: (period, starts_on) → (points, shares, clicks,
    conversions)."""
    async with db.transaction() as session:
        rows = await session.scalars(select(PeriodStats).where(PeriodStats.user_id == user_id))
        return {(r.period, r.starts_on.isoformat()): (r.points, r.shares, r.clicks,
                                                      r.conversions) for r in rows}


async def share_days(db: Database, share_id: str) -> dict[str, tuple[int, int, int]]:
    """The share's daily rows: local day → (clicks, unique clicks, click points)."""
    async with db.transaction() as session:
        rows = await session.scalars(select(ShareDay).where(ShareDay.share_id == share_id))
        return {r.day.isoformat(): (r.clicks, r.unique_clicks, r.click_points) for r in rows}


async def badge_rows(db: Database, key: str | None = None
                     ) -> list[tuple[str, str, datetime]]:
    async with db.transaction() as session:
        query = select(Badge.user_id, Badge.key, Badge.earned_at)
        if key is not None:
            query = query.where(Badge.key == key)
        return sorted((u, k, e) for u, k, e in (await session.execute(query)).all())


async def my_badges(api: Api, headers: dict[str, str]) -> list[tuple[str, str, str]]:
    response = await api.client.get("/api/v1/me/badges", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    return [(b["key"], b["name"], b["earned_at"]) for b in body["items"]]


async def me_stats(api: Api, headers: dict[str, str], when: datetime,
                   period: str | None = None) -> dict[str, Any]:
    params = {"period": period} if period else {}
    with at(when):
        response = await api.client.get("/api/v1/me/stats", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def board(api: Api, headers: dict[str, str], when: datetime, **params: Any
                ) -> dict[str, Any]:
    with at(when):
        response = await api.client.get("/api/v1/leaderboard", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def suggest(api: Api, headers: dict[str, str], when: datetime, url: str) -> str:
    with at(when):
        response = await api.client.post("/api/v1/suggestions", headers=headers,
                                         json={"url": url, "topic_ids": []})
    assert response.status_code == 201, response.text
    post_id: str = response.json()["id"]
    return post_id


async def approve(api: Api, marketer: dict[str, str], post_id: str, when: datetime) -> None:
    with at(when):
        response = await api.client.post(f"/api/v1/posts/{post_id}/approve", headers=marketer,
                                         json={"category": "curated"})
    assert response.status_code == 200, response.text


async def conversions_key(api: Api, admin: dict[str, str]) -> dict[str, str]:
    response = await api.client.post("/api/v1/api-keys", headers=admin, json={
        "name": "crm", "scopes": ["conversions:write"]})
    assert response.status_code == 201, response.text
    return {"authorization": f"Bearer {response.json()['key']}"}


async def convert(api: Api, key: dict[str, str], when: datetime, external_id: str,
                  click_id: str, **fields: Any) -> dict[str, Any]:
    """A conversion reported through ``POST /api/v1/conversions`` at ``when``."""
    with at(when):
        response = await api.client.post("/api/v1/conversions", headers=key, json={
            "click_id": click_id, "type": "signup", "external_id": external_id, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def ledger_rows(db: Database, user_id: str) -> list[tuple[str, int, str | None, str]]:
    """The user's ledger rows as (kind, points, share id, occurred_at in UTC), in time order."""
    async with db.transaction() as session:
        rows = (await session.execute(
            select(PointsEntry.kind, PointsEntry.points, PointsEntry.share_id,
                   PointsEntry.occurred_at).where(PointsEntry.user_id == user_id))).all()
    assert len({r[3] for r in rows}) == len(rows), "two events of one instant: ambiguous order"
    return [(k, p, s, t.astimezone(UTC).isoformat()) for k, p, s, t in
            sorted(rows, key=lambda r: r[3])]
