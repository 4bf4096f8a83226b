"""Helpers shared by the webhook tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from app.core.db import Database
from app.models.webhooks import WebhookAttempt, WebhookEvent
from app.webhooks import outbox
from tests.builders import Api, Role

ALL_EVENTS = ["share.created", "click.created", "conversion.created", "post.published",
              "suggestion.created", "suggestion.reviewed", "points.awarded"]


async def register(api: Api, url: str, events: Sequence[str] = ("share.created",),
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    """A webhook registered by a new admin: (the 201 body, the admin's headers)."""
    admin = await api.headers(Role.admin)
    response = await api.client.post("/api/v1/webhooks", headers=admin,
                                     json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json(), admin


async def emit(db: Database, type: str = "share.created",
               data: dict[str, Any] | None = None) -> str:
    """One event, committed as a change would commit it; its id."""
    async with db.transaction() as session:
        [event_id] = await outbox.emit(session, type, data or {"id": "s1"})
    return event_id


async def event_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


async def attempts(db: Database) -> list[WebhookAttempt]:
    async with db.transaction() as session:
        return list(await session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))
