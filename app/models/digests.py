"""Tables of the digests domain: email reminder digests, channels and their weekly digests.

A digest is recorded per (recipient, period) under a unique constraint, and the record is
committed before anything is sent (``status = "sending"``), so that a second run, in any
process, sends nothing for a period already claimed (see ``app.digests.claims``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import ID_LENGTH, Base, IdMixin

__all__ = ["Channel", "ChannelDigest", "ReminderDigest"]


class DigestClaim:
    """What a digest of one period records, for one advocate or one channel.

    ``status``: ``sending`` (claimed; the message is on its way, or the process died while
    sending it: never sent again), ``sent``, ``failed`` (the server refused or could not be
    reached: tried again later) or ``skipped`` (too few new posts that period).
    """

    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    post_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The posts listed were published before this instant: the next digest starts here.
    window_end: Mapped[datetime] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class ReminderDigest(IdMixin, DigestClaim, Base):
    """One advocate's email digest of one period (the local date it was due on)."""

    __tablename__ = "reminder_digests"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("user_id", "period",
                                       name="uq_reminder_digests_user_period"),)


class Channel(IdMixin, Base):
    """A Slack or Microsoft Teams incoming webhook that gets the weekly channel digest.

    The URL is a secret (whoever knows it can post to the channel): it is kept encrypted
    (``app.core.crypto``); only its host is shown. ``url_digest`` (SHA-256 of the URL) finds
    a second registration of the same URL.
    """

    __tablename__ = "digest_channels"

    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_digest: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class ChannelDigest(IdMixin, DigestClaim, Base):
    """One channel's digest of one ISO week."""

    __tablename__ = "channel_digests"

    channel_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                            ForeignKey("digest_channels.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("channel_id", "period",
                                       name="uq_channel_digests_channel_period"),)
