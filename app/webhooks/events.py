"""What each webhook event carries, and the one call each domain makes to emit it.

Payloads are built here, not at the call sites, so that the public shape of an event
(CONTRACT §3) lives in one file. Times are ISO 8601 in UTC with ``Z``, as in the API. Never
a visitor hash or an address: a receiver learns what the API would tell an admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.webhooks.outbox import EventType, emit, emit_sync

if TYPE_CHECKING:
    from app.models import Conversion, Post, Share
    from app.tracking.projection import RecordedClick


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def share_payload(share: Share) -> dict[str, Any]:
    return {"id": share.id, "post_id": share.post_id, "user_id": share.user_id,
            "network": str(share.network), "code": share.code, "caption": share.caption,
            "created_at": iso(share.created_at)}


def click_payload(click: RecordedClick) -> dict[str, Any]:
    return {"id": click.id, "click_id": click.click_id, "share_id": click.share_id,
            "post_id": click.post_id, "advocate_id": click.advocate_id,
            "network": str(click.network), "occurred_at": iso(click.occurred_at),
            "self": click.is_self, "unique": click.is_unique}


def conversion_payload(conversion: Conversion) -> dict[str, Any]:
    return {"id": conversion.id, "external_id": conversion.external_id,
            "type": conversion.type, "click_id": conversion.click_id,
            "share_id": conversion.share_id, "advocate_id": conversion.advocate_id,
            "post_id": conversion.post_id, "attributed": conversion.attributed,
            "value": conversion.value, "currency": conversion.currency,
            "occurred_at": iso(conversion.occurred_at)}


def post_payload(post: Post, topic_ids: Sequence[str]) -> dict[str, Any]:
    return {"id": post.id, "url": post.url, "title": post.title,
            "category": str(post.category) if post.category is not None else None,
            "topic_ids": list(topic_ids), "campaign": post.campaign,
            "published_at": iso(post.published_at)}


def points_payload(*, key: str, user_id: str, kind: str, points: int,
                   occurred_at: datetime, share_id: str | None) -> dict[str, Any]:
    """``key`` names what earned the points (``share:<id>``, ``click:<click id>``…), once."""
    return {"key": key, "user_id": user_id, "kind": kind, "points": points,
            "share_id": share_id, "occurred_at": iso(occurred_at)}


async def share_created(session: AsyncSession, share: Share) -> None:
    await emit(session, EventType.share_created, share_payload(share))


def clicks_created(session: Session, clicks: Sequence[RecordedClick]) -> None:
    """Every click but bots' (self-clicks included, flagged: the receiver decides)."""
    emit_sync(session, EventType.click_created,
              (click_payload(c) for c in clicks if not c.bot))


async def conversion_created(session: AsyncSession, conversion: Conversion) -> None:
    await emit(session, EventType.conversion_created, conversion_payload(conversion))


async def posts_published(session: AsyncSession,
                          posts: Sequence[tuple[Post, Sequence[str]]]) -> None:
    """One event per post, in publication order."""
    await emit(session, EventType.post_published,
               *(post_payload(post, topics) for post, topics in posts))


async def suggestion_created(session: AsyncSession, post: Post,
                             topic_ids: Sequence[str]) -> None:
    await emit(session, EventType.suggestion_created, {
        "id": post.id, "url": post.url, "note": post.suggestion_note,
        "suggested_by": post.suggested_by, "topic_ids": list(dict.fromkeys(topic_ids)),
        "created_at": iso(post.created_at)})


async def suggestion_reviewed(session: AsyncSession, post: Post) -> None:
    """After approve (the post is queued) or reject."""
    await emit(session, EventType.suggestion_reviewed, {
        "id": post.id, "url": post.url, "suggested_by": post.suggested_by,
        "decision": "approved" if str(post.status) != "rejected" else "rejected",
        "status": str(post.status),
        "category": str(post.category) if post.category is not None else None,
        "review_note": post.review_note, "reviewed_at": iso(post.updated_at)})


async def points_awarded(session: AsyncSession, *, key: str, user_id: str, kind: str,
                         points: int, occurred_at: datetime, share_id: str | None) -> None:
    """A ledger entry (share, conversion, approved suggestion) that moved the points."""
    if points:
        await emit(session, EventType.points_awarded, points_payload(
            key=key, user_id=user_id, kind=kind, points=points, occurred_at=occurred_at,
            share_id=share_id))


def clicks_awarded(session: Session, awards: Sequence[tuple[RecordedClick, int]]) -> None:
    """The click ledger entries of a batch that moved the points (a click past the day's
    cap, or not unique, is in the ledger with 0 points: no event)."""
    emit_sync(session, EventType.points_awarded, (
        points_payload(key=f"click:{click.click_id}", user_id=click.advocate_id, kind="click",
                       points=points, occurred_at=click.occurred_at, share_id=click.share_id)
        for click, points in awards if points))
