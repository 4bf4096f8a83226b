"""Suggestions to review: approve one into the queue with its category (and, optionally, a
caption), or reject it with a reason the suggester will see. Each card is its own form pair,
swapped in place by htmx; the same answers work as whole pages without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.content import service as content_service
from app.content.schemas import Approval, PostRead, Rejection
from app.core.errors import Conflict
from app.models import Post
from app.models.enums import Category, PostStatus
from app.web.console import lookups
from app.web.console.field_errors import (
    FORM,
    REQUIRED,
    FieldError,
    FieldErrors,
    from_validation,
)
from app.web.console.lookups import TopicRef
from app.web.i18n import N_

REVIEWED = N_("Someone has already reviewed this suggestion.")
MAX_SHOWN = 100
Outcome = Literal["approved", "rejected"]


@dataclass
class Card:
    """One suggestion on the page: its details, and its forms as last sent."""

    post: PostRead
    suggester: str | None
    topics: list[TopicRef]
    suggested_at: datetime
    category: str = Category.curated.value
    caption: str = ""
    reason: str = ""
    refused: Literal["approve", "reject"] | None = None
    errors: FieldErrors = field(default_factory=dict)
    outcome: Outcome | None = None
    status: int = 200

    @property
    def categories(self) -> tuple[Category, ...]:
        return tuple(Category)


@dataclass
class SuggestionsScreen:
    cards: list[Card]
    total: int
    done: Card | None  # the one just reviewed (post/redirect/get without JavaScript)
    pending: int


async def _cards(session: AsyncSession, posts: list[Post]) -> list[Card]:
    reads = await content_service.to_read(session, posts)
    names = await lookups.user_names(session, [p.suggested_by for p in reads])
    topics = await lookups.all_topics(session)
    return [Card(post=read, suggester=names.get(read.suggested_by or ""),
                 topics=lookups.names_of(topics, read.topic_ids), suggested_at=post.created_at)
            for post, read in zip(posts, reads, strict=True)]


async def screen(session: AsyncSession, *, done_id: str | None = None,
                 outcome: Outcome | None = None, refused: Card | None = None
                 ) -> SuggestionsScreen:
    """Waiting suggestions, oldest first (the queue's order for them)."""
    posts = list(await session.scalars(
        select(Post).where(Post.status == PostStatus.suggested)
        .order_by(Post.created_at, Post.id).limit(MAX_SHOWN)))
    cards = await _cards(session, posts)
    if refused is not None:  # shown in its place, or first when it is no longer waiting
        ids = [c.post.id for c in cards]
        if refused.post.id in ids:
            cards[ids.index(refused.post.id)] = refused
        else:
            cards.insert(0, refused)
    done = None
    if done_id and outcome:
        post = await session.get(Post, done_id)
        if post is not None and post.status != PostStatus.suggested:
            done = (await _cards(session, [post]))[0]
            done.outcome = outcome
    pending = await lookups.pending_suggestions(session)
    return SuggestionsScreen(cards=cards, total=pending, done=done, pending=pending)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _card(session: AsyncSession, post: Post, form: FormData) -> Card:
    card = (await _cards(session, [post]))[0]
    card.category = _text(form, "category")
    card.caption = _text(form, "caption")
    card.reason = _text(form, "reason")
    return card


def _refuse(card: Card, which: Literal["approve", "reject"], errors: FieldErrors,
            status: int = 422) -> Card:
    card.refused, card.errors, card.status = which, errors, status
    return card


async def approve(session: AsyncSession, post_id: str, form: FormData) -> Card:
    """As ``POST /api/v1/posts/{id}/approve``: the card, approved or with what to fix."""
    post = await content_service.get_or_raise(session, post_id)
    card = await _card(session, post, form)
    errors: FieldErrors = {} if card.category else {"category": FieldError(REQUIRED["category"])}
    try:
        body = Approval.model_validate({
            "category": card.category or None,
            "captions": {"default": card.caption} if card.caption else None})
    except ValidationError as exc:
        return _refuse(card, "approve", {**from_validation(exc), **errors})
    try:
        await content_service.approve(
            session, post, category=body.category,
            captions=body.captions.model_dump() if body.captions else None, note=body.note)
    except Conflict:
        return _refuse(card, "approve", {FORM: FieldError(REVIEWED)}, status=409)
    card.post = await content_service.read_one(session, post)
    card.outcome = "approved"
    return card


async def reject(session: AsyncSession, post_id: str, form: FormData) -> Card:
    """As ``POST /api/v1/posts/{id}/reject``: the reason is required and kept."""
    post = await content_service.get_or_raise(session, post_id)
    card = await _card(session, post, form)
    if not card.reason:
        return _refuse(card, "reject", {"reason": FieldError(REQUIRED["reason"])})
    try:
        body = Rejection.model_validate({"reason": card.reason})
    except ValidationError as exc:
        return _refuse(card, "reject", from_validation(exc))
    try:
        await content_service.reject(session, post, reason=body.reason)
    except Conflict:
        return _refuse(card, "reject", {FORM: FieldError(REVIEWED)}, status=409)
    card.post = await content_service.read_one(session, post)
    card.outcome = "rejected"
    return card
