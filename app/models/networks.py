"""Tables of the networks domain: members' network connections (OAuth tokens, encrypted),
the single-use states of connections being made, and each share's last stats pull
(CONTRACT §3 connections, §9 ``pull_stats``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin
from app.models.enums import Network


class NetworkConnection(IdMixin, Base):
    """A member's account on a network, connected with OAuth so that the stats of their own
    posts can be read. Tokens are stored encrypted (``app.core.crypto``), never in clear."""

    __tablename__ = "network_connections"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[Network] = mapped_column(String(16))
    # `connected`, or `needs_reauth` once the network refused the token (and a refresh).
    status: Mapped[str] = mapped_column(String(16))
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column()
    refresh_expires_at: Mapped[datetime | None] = mapped_column()
    scope: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The network's daily quota ran out: no call for this member before then.
    paused_until: Mapped[datetime | None] = mapped_column()
    # When the member was told the token expires soon, or that it stopped working: once per
    # token (a new token clears them).
    expiry_notified_at: Mapped[datetime | None] = mapped_column()
    reauth_notified_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("user_id", "network",
                                       name="uq_network_connections_user_network"),)


class OAuthState(Base):
    """A connection being made: the ``state`` sent to the network, stored hashed, bound to
    the member who asked, single-use and short-lived."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[Network] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SharePull(Base):
    """The last time a share's stats were asked of its network, and what came of it: what
    the schedule of ``pull_stats`` reads (hourly, then daily), and why a share is not pulled
    (its URL names no post the API knows, the network refused, a rate limit's wait)."""

    __tablename__ = "share_pulls"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                          ForeignKey("shares.id", ondelete="CASCADE"),
                                          primary_key=True)
    # The share's external_url this outcome is about: a new URL is pulled afresh.
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column()
    pulled_at: Mapped[datetime | None] = mapped_column()
    retry_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_share_pulls_attempted_at", "attempted_at"),)


__all__ = ["NetworkConnection", "OAuthState", "SharePull"]
