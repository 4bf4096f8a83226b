"""Operations: liveness, readiness and Prometheus metrics (never rate-limited)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from sqlalchemy import text

from app.auth.access import BEARER
from app.core.errors import Unauthenticated

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """200 while the process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request, response: Response) -> Health:
    """200 when the database (and Redis, when configured) answer; 503 otherwise."""
    state = request.app.state
    checks: dict[str, str] = {}
    try:
        async with state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", with the reason
        checks["database"] = f"error: {type(exc).__name__}"
    if state.settings.redis_url:
        try:
            await state.redis_ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ready else 503
    return Health(status="ok" if ready else "unavailable", checks=checks)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text."}},
            # Added to the bearer FastAPI declares: no credentials while no token is set.
            openapi_extra={"security": [{}]})
async def metrics(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Response:
    """Prometheus metrics: requests and latencies by route template. When
    ``CHORUS_METRICS_TOKEN`` is set, they need ``Authorization: Bearer <that token>``."""
    expected = request.app.state.settings.metrics_token
    if expected is not None and not (
        credentials is not None
        and hmac.compare_digest(credentials.credentials.encode(),
                                expected.get_secret_value().encode())
    ):
        raise Unauthenticated("The metrics need 'Authorization: Bearer <CHORUS_METRICS_TOKEN>'.")
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
