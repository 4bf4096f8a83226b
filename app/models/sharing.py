from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin
from app.models.enums import Network


class Share(IdMixin, Base):
    """One advocate sharing one post on one network, with its tracked-link code."""

    __tablename__ = "shares"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("users.id"), index=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("posts.id"), index=True)
    network: Mapped[Network] = mapped_column(String(16))
    caption: Mapped[str] = mapped_column(Text, default="")
    # The advocate's followers on the network when they shared: the share's reach (§6).
    follower_count: Mapped[int] = mapped_column(Integer, default=0)
    external_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "post_id", "network",
                                       name="uq_shares_user_post_network"),)


class ShareReservation(Base):
    """The code of an advocate's future ``native`` share of a post, handed out with the feed
    so that a phone can open its share sheet without a round trip (CONTRACT §3). It becomes
    a share, with this code, when the page confirms it or the link is first followed."""

    __tablename__ = "share_reservations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "post_id",
                                       name="uq_share_reservations_user_post"),)


class PolicyAcceptance(Base):
    """An advocate accepting one version of the sharing policy (kept for the record)."""

    __tablename__ = "policy_acceptances"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatsSnapshot(IdMixin, Base):
    """A share's engagement as a network reported it (pulled) or a person entered it."""

    __tablename__ = "share_stats"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                          ForeignKey("shares.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    # `manual` or `import` (entered by a person), `api` (pulled from the network).
    source: Mapped[str] = mapped_column(String(16))
    # Null: the network does not give this metric (unknown, never 0); it adds nothing to a sum.
    impressions: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    reshares: Mapped[int | None] = mapped_column(Integer)
    # A pulled snapshot's API version (LinkedIn-Version, X's `2`) and the other counts the
    # network gave (X's bookmarks, its reposts and quotes apart), kept as they came.
    provider_version: Mapped[str | None] = mapped_column(String(16))
    extra: Mapped[dict[str, int] | None] = mapped_column(JSON)
    entered_by: Mapped[str | None] = mapped_column(String(ID_LENGTH),
                                                   ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_share_stats_share_taken", "share_id", "taken_at"),)
