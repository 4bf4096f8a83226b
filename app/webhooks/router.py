"""``/api/v1/webhooks`` (admin, CONTRACT §3): endpoints that receive signed events."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth.access import AdminOnly
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.models.webhooks import EndpointStatus, WebhookEndpoint
from app.webhooks import service as webhooks_service
from app.webhooks.schemas import (
    DeliveryAttemptRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["webhooks"])


def _read(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(id=endpoint.id, url=endpoint.url, events=endpoint.events,
                       active=endpoint.status == EndpointStatus.active,
                       status=EndpointStatus(endpoint.status),
                       inactive_since=endpoint.inactive_since, created_at=endpoint.created_at,
                       updated_at=endpoint.updated_at)


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
async def create_webhook(body: WebhookCreate, _admin: AdminOnly, request: Request,
                         session: DbSession) -> WebhookCreated:
    """Register an endpoint; the answer holds its signing secret, shown this once."""
    endpoint, secret = await webhooks_service.create(
        session, url=body.url, events=body.events, settings=request.app.state.settings)
    return WebhookCreated(**_read(endpoint).model_dump(), secret=secret)


@router.get("/webhooks", response_model=Page[WebhookRead])
async def list_webhooks(_admin: AdminOnly, session: DbSession, limit: Limit = 50,
                        cursor: Cursor = None) -> Page[WebhookRead]:
    """Registered endpoints, oldest first (without their secrets)."""
    endpoints, next_cursor = await webhooks_service.list_endpoints(session, limit=limit,
                                                                   cursor=cursor)
    return Page(items=[_read(e) for e in endpoints], next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
async def get_webhook(webhook_id: str, _admin: AdminOnly, session: DbSession) -> WebhookRead:
    """One endpoint (without its secret)."""
    return _read(await webhooks_service.get_or_raise(session, webhook_id))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
async def update_webhook(webhook_id: str, body: WebhookUpdate, _admin: AdminOnly,
                         request: Request, session: DbSession) -> WebhookRead:
    """Change the URL or events; `active: true` re-enables it and sends what it missed."""
    endpoint = await webhooks_service.get_or_raise(session, webhook_id)
    endpoint = await webhooks_service.update_endpoint(
        session, endpoint, body.model_dump(exclude_unset=True),
        settings=request.app.state.settings)
    return _read(endpoint)


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
async def delete_webhook(webhook_id: str, _admin: AdminOnly, session: DbSession) -> Response:
    """Remove the endpoint, its pending deliveries and their log."""
    await webhooks_service.delete(session, await webhooks_service.get_or_raise(session,
                                                                               webhook_id))
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryAttemptRead])
async def list_webhook_deliveries(webhook_id: str, _admin: AdminOnly, session: DbSession,
                                  limit: Limit = 50,
                                  cursor: Cursor = None) -> Page[DeliveryAttemptRead]:
    """Every delivery attempt to this endpoint, newest first."""
    endpoint = await webhooks_service.get_or_raise(session, webhook_id)
    attempts, next_cursor = await webhooks_service.list_attempts(session, endpoint,
                                                                 limit=limit, cursor=cursor)
    return Page(items=[DeliveryAttemptRead.model_validate(a, from_attributes=True)
                       for a in attempts], next_cursor=next_cursor)
