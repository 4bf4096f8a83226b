"""Refuse oversize request bodies with a 413 problem, before anything reads them."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

DEFAULT_LIMIT = 1024 * 1024
# CSV uploads are bigger than any JSON body.
LARGE_LIMIT = 5 * 1024 * 1024
LARGE_SUFFIXES = ("/import",)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = LARGE_LIMIT if scope["path"].endswith(LARGE_SUFFIXES) else DEFAULT_LIMIT
        detail = f"The request body is larger than {limit // 1024} KiB."
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await problem_response(413, detail, title="Payload too large",
                                   type_slug="payload-too-large")(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI turns other errors raised while reading into a 400.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, limited_receive, send)
