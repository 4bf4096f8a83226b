"""Conversions from the company's systems (API key) and from its site (``/t.js``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.auth.access import AdminOnly, ConversionsKey
from app.conversions import service as conversions_service
from app.conversions import site as site_service
from app.conversions import snippet
from app.conversions.schemas import (
    ConversionCreate,
    ConversionRead,
    SiteConversion,
    SiteKeyCreate,
    SiteKeyRead,
)
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["conversions"])
site_router = APIRouter(route_class=ChorusRoute, tags=["conversions"])

_CREATED_OR_EXISTING: dict[int | str, dict[str, Any]] = {200: {"model": ConversionRead,
                              "description": "This external_id was already recorded."}}


@router.post("/conversions", response_model=ConversionRead, status_code=201,
             responses=_CREATED_OR_EXISTING)
async def record_conversion(body: ConversionCreate, _key: ConversionsKey, response: Response,
                            session: DbSession) -> ConversionRead:
    """Record a conversion once per `external_id` (API key with `conversions:write`)."""
    conversion, created = await conversions_service.record(session, data=body, source="api")
    if not created:
        response.status_code = 200
    return conversions_service.to_read(conversion)


@router.post("/site-keys", response_model=SiteKeyRead, status_code=201)
async def create_site_key(body: SiteKeyCreate, _admin: AdminOnly,
                          session: DbSession) -> SiteKeyRead:
    """Create a publishable key for `/t.js`, usable only from the listed origins."""
    key = await conversions_service.create_site_key(session, name=body.name,
                                                    origins=body.origins)
    return SiteKeyRead.model_validate(key, from_attributes=True)


@router.get("/site-keys", response_model=Page[SiteKeyRead])
async def list_site_keys(_admin: AdminOnly, session: DbSession, limit: Limit = 50,
                         cursor: Cursor = None) -> Page[SiteKeyRead]:
    """Active site keys."""
    keys, next_cursor = await conversions_service.list_site_keys(session, limit=limit,
                                                                 cursor=cursor)
    return Page(items=[SiteKeyRead.model_validate(k, from_attributes=True) for k in keys],
                next_cursor=next_cursor)


@router.delete("/site-keys/{key_id}", status_code=204, response_class=Response)
async def revoke_site_key(key_id: str, _admin: AdminOnly, session: DbSession) -> Response:
    """Revoke a site key at once."""
    await conversions_service.revoke_site_key(session, key_id=key_id)
    return Response(status_code=204)


@site_router.get("/t.js", response_class=Response,
                 responses={200: {"content": {"application/javascript": {}}}})
async def tracking_script(request: Request) -> Response:
    """The first-party conversion snippet for the company's site."""
    return snippet.script_response(request.app.state.settings.click_param)


@site_router.options("/t/conversions", response_class=Response, include_in_schema=False)
async def site_conversion_preflight(request: Request, session: DbSession) -> Response:
    origin = request.headers.get("origin")
    allowed = bool(origin) and await conversions_service.origin_registered(session, origin or "")
    return snippet.preflight(origin, allowed)


@site_router.post("/t/conversions", response_model=ConversionRead, status_code=201,
                  responses=_CREATED_OR_EXISTING,
                  openapi_extra={"requestBody": {"required": True, "content": {
                      "text/plain": {"schema": SiteConversion.model_json_schema()},
                      "application/json": {"schema": SiteConversion.model_json_schema()}}}})
async def site_conversion(request: Request, response: Response, session: DbSession) -> Response:
    """Record a conversion from the browser snippet (publishable site key, registered origin)."""
    return await site_service.record_from_site(session, request, response)
