"""Tracked links: ``GET``/``HEAD /s/{code}`` (never rate-limited, no authentication)."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.types import Scope, Send

from app.core.metrics import HttpMetrics
from app.core.problems import problem_response
from app.tracking import service as tracking_service
from app.tracking.recorder import ClickRecorder
from app.tracking.service import Answer, Targets
from app.tracking.visitors import Visitors

log = logging.getLogger("chorus.tracking")
router = APIRouter(tags=["tracked links"])
ROUTE = "/s/{code}"

_RESPONSES: dict[int | str, dict[str, Any]] = {
    302: {"description": "To the post's URL with UTM and click-id parameters."},
    404: {"description": "Unknown code (an HTML page).", "content": {"text/html": {}}},
}


@router.get(ROUTE, response_class=Response, status_code=302, responses=_RESPONSES)
async def follow(code: str, request: Request) -> Response:
    """Follow a tracked link: a 302 to the post, recorded as a click before it is sent."""
    return _response(await request.app.state.tracked_links.answer(code, request.scope))


@router.head(ROUTE, response_class=Response, status_code=302, responses=_RESPONSES)
async def peek(code: str, request: Request) -> Response:
    """The same headers as GET; nothing is recorded."""
    return _response(await request.app.state.tracked_links.answer(code, request.scope))


def _response(answer: Answer) -> Response:
    response = Response(answer.body, status_code=answer.status)
    response.raw_headers = list(answer.headers)
    return response


def is_tracked_link(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return (scope["type"] == "http" and path.startswith("/s/")
            and scope["method"] in ("GET", "HEAD") and "/" not in path[3:])


class TrackedLinks:
    """Answers ``/s/{code}`` before the framework's middleware and router: the redirect is
    the hottest path of all, so it is plain ASGI. The routes above document it and give
    the same answer. Its requests are counted in the metrics like every other route."""

    def __init__(self, *, recorder: ClickRecorder, visitors: Visitors, targets: Targets,
                 metrics: HttpMetrics) -> None:
        self._recorder = recorder
        self._visitors = visitors
        self._targets = targets
        self._metrics = metrics

    async def answer(self, code: str, scope: Scope) -> Answer:
        client = scope.get("client")
        return await tracking_service.follow(
            code, method=scope["method"], headers=scope["headers"],
            client=client[0] if client else None, recorder=self._recorder,
            visitors=self._visitors, targets=self._targets)

    async def __call__(self, scope: Scope, send: Send) -> None:
        started = time.perf_counter()
        try:
            answer = await self.answer(scope["path"][3:], scope)
        except Exception:
            # No click, no 302: the client may try again.
            log.exception("following a tracked link failed")
            status = 500
            await problem_response(status, "The server failed to handle this request.")(
                scope, _no_body, send)
        else:
            status = answer.status
            await send({"type": "http.response.start", "status": status,
                        "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body})
        self._metrics.observe(scope["method"], ROUTE, status, time.perf_counter() - started)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}
