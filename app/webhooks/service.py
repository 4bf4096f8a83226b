"""Webhook endpoints (CONTRACT §3): registration with an SSRF check, pause and re-enable with
a replay of what the endpoint missed, and the log of delivery attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import Env, Settings
from app.core.crypto import cipher_for
from app.core.db import dialect_insert, table, time_ordered_id
from app.core.destinations import check_destination
from app.core.errors import NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.models.webhooks import (
    DeliveryState,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from app.webhooks import signing
from app.webhooks.delivery import RETRY_FOR
from app.webhooks.outbox import forget_subscriptions, wake_after_commit

ENDPOINT_ORDER = (SortKey(WebhookEndpoint.created_at, is_datetime=True),
                  SortKey(WebhookEndpoint.id))
ATTEMPT_ORDER = (SortKey(WebhookAttempt.attempted_at, descending=True, is_datetime=True),
                 SortKey(WebhookAttempt.id, descending=True))
_REPLAY_MARGIN = timedelta(minutes=5)
"""Events a little older than the pause are looked at too: one fanned out just after the
endpoint stopped receiving was skipped, though it occurred before (the unique delivery per
event and endpoint keeps the others from being sent twice)."""
_REPLAY_CHUNK = 1_000


async def check_url(url: str, settings: Settings) -> None:
    """Refuse, with 422, a URL we would not deliver to: http in production (unless private
    addresses are allowed, for on-premises receivers), or a host that does not resolve or
    resolves to a private, loopback, link-local or otherwise non-public address."""
    https_only = settings.env is Env.prod and not settings.allow_private_webhooks
    await check_destination(url, what="The webhook URL",
                            allow_private=settings.allow_private_webhooks,
                            schemes=("https",) if https_only else ("http", "https"))


async def create(session: AsyncSession, *, url: str, events: Sequence[str],
                 settings: Settings) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, which only this answer shows."""
    await check_url(url, settings)
    secret = signing.new_secret()
    cipher = await cipher_for(session, settings)
    now = utcnow()
    endpoint = WebhookEndpoint(url=url, events=[str(e) for e in events],
                               secret=cipher.encrypt(secret), status=EndpointStatus.active,
                               created_at=now, updated_at=now)
    session.add(endpoint)
    await session.flush()
    forget_subscriptions()
    return endpoint, secret


async def list_endpoints(session: AsyncSession, *, limit: int, cursor: str | None
                         ) -> tuple[list[WebhookEndpoint], str | None]:
    rows = list(await session.scalars(keyset(select(WebhookEndpoint), ENDPOINT_ORDER, cursor,
                                             limit)))
    return page_of(rows, ENDPOINT_ORDER, limit)


async def get_or_raise(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


async def delete(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Gone with its deliveries and their log; events stay for the other endpoints."""
    await session.delete(endpoint)
    await session.flush()
    forget_subscriptions()


async def update_endpoint(session: AsyncSession, endpoint: WebhookEndpoint,
                          changes: dict[str, Any], *, settings: Settings) -> WebhookEndpoint:
    """Change the URL or events, pause (``active: false``), or re-enable (``active: true``):
    the re-enabled endpoint is sent again every delivery it gave up on and every event of
    its types since it stopped receiving."""
    now = utcnow()
    if changes.get("url") is not None and changes["url"] != endpoint.url:
        await check_url(changes["url"], settings)
        endpoint.url = changes["url"]
    if changes.get("events") is not None:
        endpoint.events = [str(e) for e in changes["events"]]
    if changes.get("active") is False and endpoint.status == EndpointStatus.active:
        endpoint.status = EndpointStatus.disabled
        endpoint.inactive_since = now
    elif changes.get("active") is True:
        await _replay(session, endpoint, now=now)
        endpoint.status = EndpointStatus.active
        endpoint.inactive_since = None
        wake_after_commit(session)
    endpoint.updated_at = now
    await session.flush()
    forget_subscriptions()
    return endpoint


async def _replay(session: AsyncSession, endpoint: WebhookEndpoint, *, now: datetime) -> None:
    d = table(WebhookDelivery)
    # Each delivery gets 24 h again from now, as if its event had just happened.
    await session.execute(
        update(d).where(d.c.endpoint_id == endpoint.id,
                        d.c.state.in_([DeliveryState.pending.value, DeliveryState.failed.value]))
        .values(state=DeliveryState.pending.value, next_attempt_at=now,
                deadline=now + RETRY_FOR))
    if endpoint.status == EndpointStatus.active or endpoint.inactive_since is None:
        return
    since = max(endpoint.created_at, endpoint.inactive_since - _REPLAY_MARGIN)
    missed = (select(WebhookEvent.id).where(
        WebhookEvent.occurred_at >= since, WebhookEvent.type.in_(endpoint.events),
        WebhookEvent.fanned_out.is_(True),
        ~exists().where(d.c.event_id == WebhookEvent.id, d.c.endpoint_id == endpoint.id))
        .order_by(WebhookEvent.id))
    ids = list(await session.scalars(missed))
    upsert = dialect_insert(session)(d).on_conflict_do_nothing(
        index_elements=["event_id", "endpoint_id"])
    for start in range(0, len(ids), _REPLAY_CHUNK):
        await session.execute(upsert, [
            {"id": time_ordered_id(), "event_id": event_id, "endpoint_id": endpoint.id,
             "state": DeliveryState.pending.value, "attempts": 0, "next_attempt_at": now,
             "deadline": now + RETRY_FOR, "delivered_at": None}
            for event_id in ids[start:start + _REPLAY_CHUNK]])


async def list_attempts(session: AsyncSession, endpoint: WebhookEndpoint, *, limit: int,
                        cursor: str | None) -> tuple[list[WebhookAttempt], str | None]:
    """Every attempt to deliver to ``endpoint``, newest first."""
    stmt = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
    rows = list(await session.scalars(keyset(stmt, ATTEMPT_ORDER, cursor, limit)))
    return page_of(rows, ATTEMPT_ORDER, limit)
