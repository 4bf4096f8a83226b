"""``points.awarded`` webhook events (CONTRACT §3): one per ledger entry that moved the points,
written with the award, naming what earned them; nothing for an award made twice or worth 0."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from app.models.webhooks import WebhookEvent
from tests.builders import Api, Role
from tests.gamification.support import (
    DEFAULT_RULES,
    Visitors,
    approve,
    at,
    share_via_api,
    suggest,
)


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


async def _points_events(api: Api) -> list[dict[str, Any]]:
    async with api.db.transaction() as session:
        rows = await session.scalars(select(WebhookEvent).where(
            WebhookEvent.type == "points.awarded").order_by(WebhookEvent.id))
        return [dict(row.data) for row in rows]


async def test_each_award_that_moves_the_points_is_one_event(
        api: Api, app: FastAPI) -> None:
    admin = await api.headers(Role.admin)
    hook = await api.client.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://93.184.216.34/crm", "events": ["points.awarded"]})
    assert hook.status_code == 201, hook.text
    advocate, headers = await api.user()
    marketer = await api.headers(Role.marketer)

    share = await share_via_api(api, headers, utc(4, 8))
    with at(utc(4, 8)):  # the same share asked for again: no second award
        again = await api.client.post(f"/api/v1/posts/{share['post_id']}/shares",
                                      headers=headers, json={"network": "linkedin"})
    assert again.status_code == 200
    visitors = Visitors(app)
    click_id = await visitors.click(share["code"], "reader", utc(4, 9))
    await visitors.click(share["code"], "reader", utc(4, 10))  # not unique: 0 points
    suggestion = await suggest(api, headers, utc(4, 11), "https://example.com/idea")
    await approve(api, marketer, suggestion, utc(4, 12))
    await visitors.close()

    assert await _points_events(api) == [
        {"key": f"share:{share['id']}", "user_id": advocate.id, "kind": "share",
         "points": DEFAULT_RULES["share_created"], "share_id": share["id"],
         "occurred_at": "2026-05-04T08:00:00Z"},
        {"key": f"click:{click_id}", "user_id": advocate.id, "kind": "click",
         "points": DEFAULT_RULES["unique_click"], "share_id": share["id"],
         "occurred_at": "2026-05-04T09:00:00Z"},
        {"key": f"suggestion:{suggestion}", "user_id": advocate.id, "kind": "suggestion",
         "points": DEFAULT_RULES["suggestion_approved"], "share_id": None,
         "occurred_at": "2026-05-04T12:00:00Z"},
    ]
