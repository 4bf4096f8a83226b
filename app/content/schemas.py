from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.schemas import Strict
from app.core.types import HttpUrl, Id, Name, OutDatetime, Text, UtcDatetime
from app.models.enums import Category, PostStatus
from app.sharing.schemas import CanShare

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100)]
TopicIds = Annotated[list[Id], Field(max_length=50, description="Topics the post belongs to.")]
Caption = Annotated[str, Field(max_length=3000)]


class TopicCreate(Strict):
    name: Name
    slug: Slug | None = Field(None, description="Derived from the name when omitted.")
    description: Text | None = None


class TopicUpdate(Strict):
    name: Name | None = None
    slug: Slug | None = None
    description: Text | None = None


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    slug: str
    description: str | None


class Captions(Strict):
    default: Caption
    linkedin: Caption | None = None
    x: Annotated[str, Field(max_length=280)] | None = None
    facebook: Caption | None = None


class CaptionsRead(BaseModel):
    default: str = ""
    linkedin: str | None = None
    x: str | None = None
    facebook: str | None = None


def _check_dates(publish_at: object, expires_at: object) -> None:
    if publish_at is not None and expires_at is not None and expires_at <= publish_at:  # type: ignore[operator]
        raise ValueError("expires_at must be after publish_at")


class PostCreate(Strict):
    url: HttpUrl
    title: Annotated[str, Field(max_length=500)] | None = None
    summary: Text | None = None
    image_url: HttpUrl | None = None
    category: Category
    topic_ids: TopicIds
    captions: Captions
    lock_caption: bool = Field(False, description="Advocates must share the caption as written.")
    publish_at: UtcDatetime | None = Field(None, description="Due time; may be in the past.")
    expires_at: UtcDatetime | None = None
    campaign: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _dates(self) -> PostCreate:
        _check_dates(self.publish_at, self.expires_at)
        return self


class PostUpdate(Strict):
    url: HttpUrl | None = None
    title: Annotated[str, Field(max_length=500)] | None = None
    summary: Text | None = None
    image_url: HttpUrl | None = None
    category: Category | None = None
    topic_ids: TopicIds | None = None
    captions: Captions | None = None
    lock_caption: bool | None = None
    publish_at: UtcDatetime | None = None
    expires_at: UtcDatetime | None = None
    campaign: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _dates(self) -> PostUpdate:
        _check_dates(self.publish_at, self.expires_at)
        return self


class PostRead(BaseModel):
    id: str
    url: str
    title: str | None
    summary: str | None
    image_url: str | None
    category: Category | None = Field(description="Null while a suggestion awaits review.")
    topic_ids: list[str]
    captions: CaptionsRead
    lock_caption: bool
    campaign: str | None
    status: PostStatus
    publish_at: OutDatetime | None
    published_at: OutDatetime | None
    expires_at: OutDatetime | None
    suggested_by: str | None
    note: str | None = Field(description="The suggester's note.")
    review_note: str | None = Field(description="The reviewer's reason or note.")
    created_at: OutDatetime
    updated_at: OutDatetime


class FeedItem(PostRead):
    shared_on: list[str] = Field(description="Networks the caller already shared this post on.")
    native_url: str | None = Field(None, description=(
        "The tracked URL reserved for your `native` share of this post (the phone's share "
        "sheet), null while a share would be refused."))
    can_share: CanShare = Field(default_factory=lambda: CanShare(allowed=True, reason=None))


class SuggestionCreate(Strict):
    url: HttpUrl
    note: Text | None = None
    topic_ids: TopicIds


class Approval(Strict):
    category: Category
    captions: Captions | None = None
    note: Text | None = None


class Rejection(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=5000)]


class MixCounts(BaseModel):
    curated: int
    owned: int
    promotional: int


class MixNeeds(BaseModel):
    curated: int


class MixRead(BaseModel):
    window: int = 10
    last: MixCounts
    compliant: bool
    needs: MixNeeds


class HeldBy(BaseModel):
    topic_ids: list[str] = Field(description=(
        "The topic set of the feed whose sequence the post would break: `[]` for the "
        "organisation's (the feed of advocates who follow no topic), one topic for that "
        "topic's own sequence."))
    advocates: int = Field(description=(
        "Active users who see that sequence: for a feed, those who follow exactly its "
        "topics; for a topic, its followers and the users who follow no topic; for the "
        "organisation, the users who follow no topic."))


class QueueItem(BaseModel):
    post: PostRead
    position: int
    eligible_at: OutDatetime
    blocked_by: Literal["review", "schedule", "mix"] | None
    held_by: HeldBy | None = Field(None, description=(
        "What the 6-3-1 rule holds the post back for: of the sequences it would break, the "
        "one the most active users see. Null unless `blocked_by` is `mix`."))


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
    mix: MixRead


class PublishResult(BaseModel):
    published: list[str] = Field(description="Ids in publication order.")
