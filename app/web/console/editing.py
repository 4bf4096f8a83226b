"""Create and edit posts from the console's form: what the form page shows, and saving it.

Saving goes through the same models and service calls as ``POST /api/v1/posts`` and
``PATCH /api/v1/posts/{id}``. A refusal (the form's own checks, the models' or the
service's) comes back as the form with the marketer's text and a message per field, and
nothing is saved: the page route commits only a success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.content import service as content_service
from app.content.schemas import PostCreate, PostRead, PostUpdate
from app.core.errors import Conflict, Invalid
from app.models.enums import Category, PostStatus
from app.web.console import lookups
from app.web.console.field_errors import FORM, FieldError, FieldErrors, from_domain, from_validation
from app.web.console.post_form import FROZEN_WHEN_PUBLISHED, PostFields, parse
from app.web.i18n import N_

FROZEN = N_("A published post keeps its category, topics and publish time: its place in the "
            "6-3-1 history is fixed. Undo those changes, or queue a new post.")
CLOSED = N_("This post can no longer be edited.")
_EDITABLE = {PostStatus.suggested, PostStatus.queued, PostStatus.published}


@dataclass
class PostFormPage:
    """What ``console/post_form.html`` shows."""

    fields: PostFields
    topics: list[lookups.TopicRef]
    zone: str
    post: PostRead | None = None
    errors: FieldErrors = field(default_factory=dict)
    status: int = 200

    @property
    def editable(self) -> bool:
        return self.post is None or self.post.status in _EDITABLE

    @property
    def frozen(self) -> frozenset[str]:
        """Fields shown but not editable: a published post's place in the 6-3-1 sequences."""
        published = self.post is not None and self.post.status == PostStatus.published
        return FROZEN_WHEN_PUBLISHED if published else frozenset()

    @property
    def awaiting_review(self) -> bool:
        """A suggestion gets its category when it is approved, not here."""
        return self.post is not None and self.post.category is None

    @property
    def categories(self) -> tuple[Category, ...]:
        return tuple(Category)

    @property
    def field_errors(self) -> FieldErrors:
        """The errors shown next to a field (the summary links to each)."""
        return {key: error for key, error in self.errors.items() if key != FORM}


@dataclass(frozen=True)
class Saved:
    post_id: str


async def new_page(session: AsyncSession, *, zone: ZoneInfo) -> PostFormPage:
    return PostFormPage(PostFields(), await lookups.all_topics(session), zone.key)


async def edit_page(session: AsyncSession, post_id: str, *, zone: ZoneInfo) -> PostFormPage:
    post = await content_service.read_one(
        session, await content_service.get_or_raise(session, post_id))
    return PostFormPage(PostFields.of_post(post, zone), await lookups.all_topics(session),
                        zone.key, post=post)


async def _refused(session: AsyncSession, fields: PostFields, zone: ZoneInfo,
                   errors: FieldErrors, *, post: PostRead | None = None,
                   status: int = 422) -> PostFormPage:
    return PostFormPage(fields, await lookups.all_topics(session), zone.key, post=post,
                        errors=errors, status=status)


async def create(session: AsyncSession, form: FormData, *, zone: ZoneInfo
                 ) -> Saved | PostFormPage:
    """Queue a post as ``POST /api/v1/posts`` does."""
    fields = PostFields.of_form(form)
    parsed = parse(fields, zone)
    try:
        body = PostCreate.model_validate(parsed.data)
    except ValidationError as exc:
        return await _refused(session, fields, zone, {**from_validation(exc), **parsed.errors})
    if parsed.errors:
        return await _refused(session, fields, zone, parsed.errors)
    try:
        post = await content_service.create(session, data=body)
    except Invalid as exc:
        return await _refused(session, fields, zone, from_domain(exc))
    return Saved(post.id)


async def update(session: AsyncSession, post_id: str, form: FormData, *, zone: ZoneInfo
                 ) -> Saved | PostFormPage:
    """Edit a post as ``PATCH /api/v1/posts/{id}`` does (only what the form may change)."""
    post = await content_service.get_or_raise(session, post_id)
    current = await content_service.read_one(session, post)
    fields = PostFields.of_form(form)
    parsed = parse(fields, zone, current=current)
    try:
        body = PostUpdate.model_validate(parsed.data)
    except ValidationError as exc:
        return await _refused(session, fields, zone, {**from_validation(exc), **parsed.errors},
                              post=current)
    if parsed.errors:
        return await _refused(session, fields, zone, parsed.errors, post=current)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    try:
        await content_service.update(session, post, changes)
    except Invalid as exc:
        return await _refused(session, fields, zone, from_domain(exc), post=current)
    except Conflict:
        message = FROZEN if current.status == PostStatus.published else CLOSED
        return await _refused(session, fields, zone, {FORM: FieldError(message)}, post=current,
                              status=409)
    return Saved(post.id)
