from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import ID_LENGTH, Base


class PostImage(Base):
    """A post's image as fetched from its ``image_url``, so that pages show it from Chorus
    (CONTRACT §8); a failed attempt keeps its ``error`` and no body."""

    __tablename__ = "post_images"

    post_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    # The URL this row was fetched from: a post whose image_url changed fetches again.
    source_url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # SHA-256 of the body in hex: the strong ETag.
    digest: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
