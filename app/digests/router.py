"""The digests' API (CONTRACT §3): reminder settings and digest channels, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth.access import AdminOnly
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.digests import channels, schedule
from app.digests.schemas import ChannelCreate, ChannelRead, ReminderSettings

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute)


@router.get("/settings/reminders", response_model=ReminderSettings, tags=["settings"])
async def read_reminder_settings(_admin: AdminOnly, session: DbSession) -> ReminderSettings:
    """When advocates get their email digest, and channels their weekly one."""
    return await schedule.reminder_settings(session)


@router.put("/settings/reminders", response_model=ReminderSettings, tags=["settings"])
async def save_reminder_settings(body: ReminderSettings, _admin: AdminOnly,
                                 session: DbSession) -> ReminderSettings:
    """Replace the reminder settings."""
    return await schedule.save_reminder_settings(session, body)


@router.post("/channels", response_model=ChannelRead, status_code=201, tags=["channels"])
async def create_channel(body: ChannelCreate, request: Request, _admin: AdminOnly,
                         session: DbSession) -> ChannelRead:
    """Register a Slack or Teams incoming webhook for the weekly digest."""
    channel = await channels.create(session, settings=request.app.state.settings, data=body)
    return ChannelRead.model_validate(channel)


@router.get("/channels", response_model=Page[ChannelRead], tags=["channels"])
async def list_channels(_admin: AdminOnly, session: DbSession, limit: Limit = 50,
                        cursor: Cursor = None) -> Page[ChannelRead]:
    """Registered channels, oldest first (never their URLs)."""
    rows, next_cursor = await channels.list_channels(session, limit=limit, cursor=cursor)
    return Page(items=[ChannelRead.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.delete("/channels/{channel_id}", status_code=204, response_class=Response,
               tags=["channels"])
async def delete_channel(channel_id: str, _admin: AdminOnly, session: DbSession) -> Response:
    """Stop sending the digest to a channel and forget its URL."""
    await channels.delete(session, channel_id=channel_id)
    return Response(status_code=204)
