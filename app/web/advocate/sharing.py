"""Sharing from the page itself: a card's network link followed (see :mod:`.links`), and the
sharing policy accepted. The phone's share sheet goes through the API instead (app-share.js),
so that nothing waits between the tap and ``navigator.share``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound, RateLimited
from app.models import User
from app.models.enums import Network
from app.sharing import policy
from app.sharing import service as sharing_service
from app.web.advocate import captions, feed, links
from app.web.viewer import Viewer

RefusalReason = Literal["caption", "policy", "cap", "closed"]


@dataclass(frozen=True)
class Refused:
    """A share the page could not make, and the post page that says why."""

    view: feed.PostView
    status: int
    reason: RefusalReason


def copied_page(post_id: str) -> str:
    return f"/app/posts/{post_id}?copied=1#copied"


async def follow_link(session: AsyncSession, *, request: Request, viewer: Viewer, user: User,
                      post_id: str, network: str, token: str, typed: str | None,
                      base_url: str, tz: ZoneInfo) -> str | Refused:
    """Share ``post_id`` on ``network`` (once; a new caption updates it) and say where to go:
    the network's intent, or for ``copy`` the post page showing the link to copy."""
    chosen = links.linkable(network)
    if chosen is None:
        raise NotFound("No such network.")
    links.check(request, csrf_token=viewer.csrf_token, post_id=post_id, network=chosen,
                presented=token)
    item = await feed.feed_item(session, user=user, post_id=post_id, tz=tz)
    settings = await policy.sharing_settings(session)
    shown = item.captions.model_dump(exclude_none=True)
    own = captions.own_words(typed, corporate=shown.get("default", ""),
                             disclosure=settings.disclosure)

    async def refused(status: int, reason: RefusalReason) -> Refused:
        view = await feed.post_view(session, user=user, csrf_token=viewer.csrf_token or "",
                                    post_id=post_id, typed=typed, show_copied=False,
                                    base_url=base_url, tz=tz, reserve=False)
        return Refused(view=view, status=status, reason=reason)

    if captions.problem_with(own, locked=item.lock_caption, settings=settings) is not None:
        return await refused(422, "caption")
    try:
        share, post, _ = await sharing_service.share(session, user=user, post_id=post_id,
                                                     network=chosen, caption=own, tz=tz)
    except RateLimited:
        return await refused(429, "cap")
    except Conflict:
        # The policy not accepted, or (a race) the post expired since it was read above.
        reason: RefusalReason = "policy" if item.can_share.reason == "policy" else "closed"
        return await refused(409, reason)
    if chosen == Network.copy:
        return copied_page(post_id)
    return sharing_service.to_read(share, base_url=base_url, title=post.title or "").share_url


async def accept_policy(session: AsyncSession, *, user: User, version: str) -> bool:
    """Record the viewer's acceptance of ``version``; False (nothing recorded) when that is
    no longer the current policy: the page they read is out of date."""
    try:
        await policy.accept(session, user=user, version=version)
    except Conflict:
        return False
    return True
