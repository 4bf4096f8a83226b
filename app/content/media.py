"""``/media``: images the pages show, served by Chorus itself (see ``app.content.images``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from starlette.background import BackgroundTask

from app.auth.access import CurrentUser
from app.content import images
from app.content import service as content_service
from app.core.problems import problem_response
from app.core.routing import ChorusRoute, DbSession

router = APIRouter(route_class=ChorusRoute)

IMAGE_HEADERS = {
    "Cache-Control": "private, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The image's bytes, in the type they were found to be.",
          "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                      for kind in images.IMAGE_TYPES}},
    304: {"description": "Not modified: `If-None-Match` names the current ETag."},
}


@router.get("/media/posts/{post_id}/image", response_class=Response, responses=_RESPONSES,
            tags=["posts"])
async def post_image(
    post_id: str, user: CurrentUser, session: DbSession, request: Request,
    if_none_match: Annotated[str | None, Header(
        max_length=1024, description="ETags from an earlier answer.")] = None,
) -> Response:
    """A post's image, from its `image_url`, fetched once and served from Chorus (404 when
    the post has none, or it is not a PNG, JPEG, GIF, WebP or AVIF image)."""
    post = await content_service.get_for_user(session, post_id, user)
    image = await images.image_for(session, post, settings=request.app.state.settings)
    return _answer(request, image, if_none_match)


def _answer(request: Request, image: images.Image, if_none_match: str | None) -> Response:
    # Stored after the answer, in its own unit of work: see ``images.keep``.
    keep = BackgroundTask(images.keep, request.app.state.db, image) if image.fresh else None
    if image.body is None:
        missing = images.NoImage("This post's image could not be fetched as a PNG, JPEG, "
                                 "GIF, WebP or AVIF image.")
        response: Response = problem_response(missing.status, missing.detail,
                                              title=missing.title, type_slug=missing.type_slug)
        response.background = keep
        return response
    headers = {**IMAGE_HEADERS, "ETag": image.etag}
    if if_none_match is not None and _matches(if_none_match, image.etag):
        return Response(status_code=304, headers=headers, background=keep)
    return Response(image.body, media_type=image.content_type, headers=headers,
                    background=keep)


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*``, or any listed tag equal by weak comparison."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
