"""``POST /t/conversions``: a conversion reported by the browser snippet.

The site key is publishable, so it proves nothing alone: the request's Origin must be one
registered for that key, and each client and key is rate-limited.
"""

from __future__ import annotations

from fastapi import Request, Response
from limits import RateLimitItemPerMinute
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversions import service as conversions_service
from app.conversions import snippet
from app.conversions.schemas import ConversionCreate, SiteConversion
from app.core.errors import ChorusError, Forbidden, Invalid
from app.core.ratelimit import client_key, hit_or_raise

PER_CLIENT = RateLimitItemPerMinute(30)
PER_KEY = RateLimitItemPerMinute(600)
MAX_BODY = 16 * 1024


async def _parse(request: Request) -> SiteConversion:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Invalid("The body is too large for a conversion.", loc=["body"])
    try:
        return SiteConversion.model_validate_json(body)
    except ValidationError as exc:
        errors = [{"loc": ["body", *err["loc"]], "msg": err["msg"]} for err in exc.errors()]
        raise Invalid(f"Invalid conversion: {errors[0]['msg']}", errors=errors) from exc


async def record_from_site(session: AsyncSession, request: Request,
                           response: Response) -> Response:
    state = request.app.state
    sent_origin = (request.headers.get("origin") or "").lower()
    # CORS headers go only to an origin verified for the key, errors included.
    origin: str | None = None
    try:
        secret = await state.secret_key(session)
        address = request.client.host if request.client else None
        await hit_or_raise(state.site_limiter, PER_CLIENT, "site", client_key(address, secret),
                           detail="Too many conversions from this client; try again later.")
        data = await _parse(request)
        key = await conversions_service.active_site_key(session, data.site_key)
        if key is None or sent_origin not in key.origins:
            raise Forbidden("This site key is unknown, revoked, or not for this origin.")
        origin = sent_origin
        await hit_or_raise(state.site_limiter, PER_KEY, "site-key", key.id,
                           detail="Too many conversions for this site key; try again later.")
        conversion, created = await conversions_service.record(
            session, data=ConversionCreate(**data.model_dump(exclude={"site_key"})),
            source="site", site_key_id=key.id)
    except ChorusError as error:
        return snippet.error_response(error, origin)
    body = conversions_service.to_read(conversion).model_dump_json()
    return Response(body, status_code=201 if created else 200, media_type="application/json",
                    headers=snippet.cors_headers(origin or ""))
