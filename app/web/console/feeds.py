"""The console's feeds: the RSS and Atom feeds whose new entries become queued posts, how
each one's last read went, a form to add one and a button to stop reading one.

Adding and deleting go through the same model and service calls as ``POST /api/v1/feeds``
and ``DELETE /api/v1/feeds/{id}``; a refused form comes back with the marketer's text and a
message per field, and nothing is saved (the page route commits only a success).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from app.core.errors import Conflict, Invalid
from app.feeds import service as feeds_service
from app.feeds.schemas import FeedCreate, FeedRead
from app.models.enums import Category
from app.web.console import lookups
from app.web.console.field_errors import FieldError, FieldErrors, from_domain, from_validation
from app.web.console.lookups import TopicRef
from app.web.i18n import N_

MAX_SHOWN = 200
DUPLICATE = N_("This feed is already registered.")
REFUSED = N_("Chorus cannot read feeds at this address: its host is on a private network "
             "or could not be found.")
REQUIRED_URL = N_("Enter the feed's address.")


@dataclass
class FeedFields:
    """The add form as last sent (or empty, with the default category)."""

    url: str = ""
    category: str = Category.owned.value
    topic_ids: list[str] = field(default_factory=list)

    @classmethod
    def of_form(cls, form: FormData) -> FeedFields:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(url=text("url"), category=text("category"),
                   topic_ids=[t for t in form.getlist("topic_ids") if isinstance(t, str)])


@dataclass(frozen=True)
class FeedRow:
    feed: FeedRead
    topics: list[TopicRef]


@dataclass
class FeedsScreen:
    """What ``console/feeds.html`` shows."""

    rows: list[FeedRow]
    topics: list[TopicRef]
    pending: int
    fields: FeedFields = field(default_factory=FeedFields)
    errors: FieldErrors = field(default_factory=dict)
    status: int = 200
    added: FeedRead | None = None
    deleted: bool = False

    @property
    def categories(self) -> tuple[Category, ...]:
        return tuple(Category)


@dataclass(frozen=True)
class Added:
    feed_id: str


async def screen(session: AsyncSession, *, added_id: str | None = None, deleted: bool = False,
                 fields: FeedFields | None = None, errors: FieldErrors | None = None,
                 status: int = 200) -> FeedsScreen:
    """Every feed, newest first (organisations register a handful)."""
    feeds, _ = await feeds_service.list_feeds(session, limit=MAX_SHOWN, cursor=None)
    reads = await feeds_service.to_read(session, feeds)
    topics = await lookups.all_topics(session)
    added = next((r for r in reads if r.id == added_id), None) if added_id else None
    return FeedsScreen(rows=[FeedRow(r, lookups.names_of(topics, r.topic_ids)) for r in reads],
                       topics=topics, pending=await lookups.pending_suggestions(session),
                       fields=fields or FeedFields(), errors=errors or {}, status=status,
                       added=added, deleted=deleted)


async def add(session: AsyncSession, form: FormData, *, allow_private: bool
              ) -> Added | FeedsScreen:
    """As ``POST /api/v1/feeds``: the new feed, or the page with what to fix."""
    fields = FeedFields.of_form(form)
    if not fields.url:
        return await screen(session, fields=fields, errors={"url": FieldError(REQUIRED_URL)},
                            status=422)
    try:
        body = FeedCreate.model_validate({
            "url": fields.url, "topic_ids": fields.topic_ids,
            **({"category": fields.category} if fields.category else {})})
    except ValidationError as exc:
        return await screen(session, fields=fields, errors=from_validation(exc), status=422)
    try:
        feed = await feeds_service.create(session, data=body, allow_private=allow_private)
    except feeds_service.AddressRefused:
        return await screen(session, fields=fields, errors={"url": FieldError(REFUSED)},
                            status=422)
    except Invalid as exc:
        return await screen(session, fields=fields, errors=from_domain(exc), status=422)
    except Conflict:
        return await screen(session, fields=fields, errors={"url": FieldError(DUPLICATE)},
                            status=409)
    return Added(feed.id)


async def remove(session: AsyncSession, feed_id: str) -> None:
    """As ``DELETE /api/v1/feeds/{id}``: the feed goes, the posts it gave stay."""
    await feeds_service.delete(session, await feeds_service.get_or_raise(session, feed_id))
