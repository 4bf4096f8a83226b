"""/app/suggest: an advocate suggests a link for the marketers to review, and follows what
became of their suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.content import service as content_service
from app.content.schemas import SuggestionCreate
from app.models import Post, User
from app.web.advocate.feed import TopicChip, topic_chips

MINE_SHOWN = 50


@dataclass
class SuggestionForm:
    url: str = ""
    note: str = ""
    topic_ids: list[str] = field(default_factory=list)
    errors: set[str] = field(default_factory=set)  # the fields to fix: url, note, topics


@dataclass(frozen=True)
class SuggestView:
    form: SuggestionForm
    topics: list[TopicChip]
    mine: list[Post]


async def my_suggestions(session: AsyncSession, user: User) -> list[Post]:
    """The viewer's suggestions, newest first, whatever became of them."""
    return list(await session.scalars(
        select(Post).where(Post.suggested_by == user.id)
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(MINE_SHOWN)))


async def suggest_view(session: AsyncSession, *, user: User,
                       form: SuggestionForm | None = None) -> SuggestView:
    return SuggestView(form=form or SuggestionForm(), topics=await topic_chips(session, user),
                       mine=await my_suggestions(session, user))


def read_form(form: FormData) -> SuggestionForm:
    return SuggestionForm(url=str(form.get("url", "")).strip(),
                          note=str(form.get("note", "")).strip(),
                          topic_ids=[str(t) for t in form.getlist("topic_ids")])


def _fields(error: ValidationError) -> set[str]:
    named = {str(item["loc"][0]) if item["loc"] else "url" for item in error.errors()}
    return {"topics" if name == "topic_ids" else name for name in named}


async def suggest(session: AsyncSession, *, user: User, form: SuggestionForm) -> SuggestView | None:
    """Record the suggestion; None when done, else the page again with what to fix."""
    topics = await topic_chips(session, user)
    try:
        data = SuggestionCreate.model_validate(
            {"url": form.url, "note": form.note or None, "topic_ids": form.topic_ids})
    except ValidationError as exc:
        form.errors = _fields(exc)
    if not set(form.topic_ids) <= {t.id for t in topics}:
        form.errors.add("topics")
    if form.errors:
        return SuggestView(form=form, topics=topics, mine=await my_suggestions(session, user))
    await content_service.suggest(session, user=user, url=data.url, note=data.note,
                                  topic_ids=data.topic_ids)
    return None
