"""Sharing a post, the caller's shares, and engagement stats entered by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from app.auth import users as users_service
from app.auth.access import AdminOnly, CurrentUser, ManagerOnly
from app.auth.schemas import UserRead
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.models import Post
from app.sharing import policy
from app.sharing import service as sharing_service
from app.sharing.policy import SharingSettings
from app.sharing.schemas import (
    ExternalUrl,
    MyShare,
    PolicyAcceptanceCreate,
    ShareCreate,
    ShareRead,
    StatsEntry,
    StatsImportResult,
    StatsRead,
)

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["sharing"])


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.base_url)


@router.post("/posts/{post_id}/shares", response_model=ShareRead, status_code=201,
             responses={200: {"model": ShareRead, "description": "The share already existed."},
                        409: {"description": "The sharing policy is not accepted yet."},
                        429: {"description": "Today's share cap is reached."}})
async def share_post(post_id: str, body: ShareCreate, user: CurrentUser, request: Request,
                     response: Response, session: DbSession) -> ShareRead:
    """Share a post on a network, in your own words if you like: its tracked link and the
    network's share intent."""
    share, post, created = await sharing_service.share(
        session, user=user, post_id=post_id, network=body.network, caption=body.caption,
        tz=request.app.state.settings.tz)
    if not created:
        response.status_code = 200
    return sharing_service.to_read(share, base_url=_base_url(request), title=post.title or "")


@router.get("/me/shares", response_model=Page[MyShare])
async def my_shares(user: CurrentUser, request: Request, session: DbSession, limit: Limit = 50,
                    cursor: Cursor = None) -> Page[MyShare]:
    """Your shares, newest first, with their clicks and conversions."""
    items, next_cursor = await sharing_service.list_mine(
        session, user=user, base_url=_base_url(request), limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/shares/{share_id}/external", response_model=ShareRead)
async def set_external_url(share_id: str, body: ExternalUrl, user: CurrentUser,
                           request: Request, session: DbSession) -> ShareRead:
    """Record where your share was published on the network, so stats can be pulled."""
    share = await sharing_service.get_owned_or_raise(session, share_id, user)
    await sharing_service.set_external_url(session, share, body.external_url)
    post = await session.get(Post, share.post_id)
    return sharing_service.to_read(share, base_url=_base_url(request),
                                   title=(post.title if post else None) or "")


@router.put("/shares/{share_id}/stats", response_model=StatsRead)
async def enter_stats(share_id: str, body: StatsEntry, user: CurrentUser,
                      session: DbSession) -> StatsRead:
    """Enter a share's engagement by hand (the sharing advocate, or a manager)."""
    share = await sharing_service.get_owned_or_raise(session, share_id, user, managers_too=True)
    snapshot = await sharing_service.add_stats(session, share, body, source="manual",
                                               entered_by=user.id)
    return StatsRead.model_validate(snapshot, from_attributes=True)


@router.post("/stats/import", response_model=StatsImportResult)
async def import_stats(
    principal: ManagerOnly, session: DbSession,
    csv_text: Annotated[str, Body(media_type="text/csv", description=(
        "CSV with the header share_id,impressions,likes,comments,reshares."))],
) -> StatsImportResult:
    """Import engagement snapshots from CSV, every row or none."""
    entered_by = principal.user.id if principal.user else None
    assert entered_by is not None
    return StatsImportResult(imported=await sharing_service.import_stats(
        session, csv_text, entered_by=entered_by))


@router.get("/settings/sharing", response_model=SharingSettings, tags=["settings"])
async def read_sharing_settings(_admin: AdminOnly, session: DbSession) -> SharingSettings:
    """The disclosure, the sharing policy, the daily share cap and the blocked words."""
    return await policy.sharing_settings(session)


@router.put("/settings/sharing", response_model=SharingSettings, tags=["settings"])
async def save_sharing_settings(body: SharingSettings, _admin: AdminOnly,
                                session: DbSession) -> SharingSettings:
    """Replace the sharing settings; a new policy version must be accepted again."""
    return await policy.save_sharing_settings(session, body)


@router.post("/me/policy", response_model=UserRead, tags=["me"],
             responses={409: {"description": "That is not the current policy version."}})
async def accept_policy(body: PolicyAcceptanceCreate, user: CurrentUser,
                        session: DbSession) -> UserRead:
    """Accept the current sharing policy version."""
    await policy.accept(session, user=user, version=body.version)
    return await users_service.read_one(session, user)
