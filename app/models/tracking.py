from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import ID_LENGTH, Base, IdMixin


class Click(IdMixin, Base):
    """Every request to a tracked link, bots and self-clicks included; flags never change."""

    __tablename__ = "clicks"

    click_id: Mapped[str] = mapped_column(String(64), unique=True)
    share_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("shares.id"))
    occurred_at: Mapped[datetime] = mapped_column()
    # The salt's UTC day: "unique" and "self" are decided within it.
    day: Mapped[date] = mapped_column(Date)
    visitor_hash: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(16))
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    bot: Mapped[bool] = mapped_column(Boolean)
    is_self: Mapped[bool] = mapped_column("self", Boolean)
    is_unique: Mapped[bool] = mapped_column("is_unique", Boolean)
    # HMAC of the client address under the salt day's salt (the unique-click cap); None
    # before issue 13 and for clicks without an address.
    address_hash: Mapped[str | None] = mapped_column(String(64))
    # The order the flags were decided in (CONTRACT §4): the audit replays clicks in it.
    # Clicks recorded before the projector have none; they come first, by id.
    seq: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_clicks_share_occurred", "share_id", "occurred_at"),
        Index("ix_clicks_occurred", "occurred_at"),
    )


class UniqueVisit(Base):
    """The first counted click of a visitor on a share in a salt day: a primary key, so two
    processes recording the same visitor at once still mark only one click unique."""

    __tablename__ = "unique_visits"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class AddressVisit(Base):
    """How many unique clicks one client address (an HMAC under the day's salt, never the
    address) has given a share in a salt day: at most 3 count (CONTRACT §4)."""

    __tablename__ = "address_visits"

    share_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    uniques: Mapped[int] = mapped_column(Integer)


class ClickLogEntry(Base):
    """The one row the redirect writes per click, before its 302: what the request told.
    The projector turns entries into ``clicks`` rows (flags decided) and everything derived
    from them, exactly once, and then deletes them. On SQLite this table lives in its own
    file (``click_log_path``), so no transaction of the app's ever makes a redirect wait.
    ``seq`` is its only index and only ever grows."""

    __tablename__ = "click_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     Identity(), primary_key=True)
    click_id: Mapped[str] = mapped_column(String(64))
    share_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    advocate_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    network: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    occurred_us: Mapped[int] = mapped_column(BigInteger)  # microseconds since 1970, UTC
    visitor_hash: Mapped[str] = mapped_column(String(64))
    address_hash: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(16))
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    bot: Mapped[bool] = mapped_column(Boolean)
    # The sign-in token's hash (as ``auth_tokens`` keeps it), until the click is projected.
    token_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = ({"sqlite_autoincrement": True},)


class ClickProjection(Base):
    """The projector's cursor: on SQLite the last ``click_log.seq`` projected (its writes
    are serialised, so ``seq`` is commit order), and on every backend the number of clicks
    projected so far (the next click's ``seq``). Its row is the projectors' lock."""

    __tablename__ = "click_projection"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    log_position: Mapped[int] = mapped_column(BigInteger)
    projected: Mapped[int] = mapped_column(BigInteger)


class VisitorSalt(Base):
    """The day's salt for visitor hashes; yesterday's is deleted, so hashes cannot be
    recomputed from addresses afterwards."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(128))


class AdvocateVisitor(Base):
    """A visitor hash an advocate used in an authenticated request during a salt day: a later
    click from it on their own share is a self-click."""

    __tablename__ = "advocate_visitors"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH),
                                         ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # When first used that day: a click before it is not the advocate's (None: before 13).
    seen_at: Mapped[datetime | None] = mapped_column()
