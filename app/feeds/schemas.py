"""Request and response bodies of ``/api/v1/feeds`` (CONTRACT §3)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Strict
from app.core.types import HttpUrl, Id, OutDatetime
from app.models.enums import Category

TopicIds = Annotated[list[Id], Field(max_length=50,
                                     description="Topics the feed's posts belong to.")]


class FeedCreate(Strict):
    url: HttpUrl = Field(description="The RSS 2.0 or Atom feed's address (http or https).")
    category: Category = Field(Category.owned,
                               description="The category of the posts its entries become.")
    topic_ids: TopicIds = Field(default_factory=list)


class FeedRead(BaseModel):
    id: str
    url: str
    title: str | None = Field(description="The feed's own title, once it has been read.")
    category: Category
    topic_ids: list[str]
    created_at: OutDatetime
    last_fetched_at: OutDatetime | None = Field(
        description="The last read, whatever its outcome; null until the first one.")
    last_error: str | None = Field(description="Why the last read gave nothing; null when "
                                               "it succeeded.")
    entries_imported: int = Field(description="Entries that became posts.")
