"""The organisation's sharing policy (CONTRACT §3 `/settings/sharing`): the disclosure every
share ends with, the policy text advocates accept once per version, the daily share cap and
the words an advocate's own caption may not hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.app_settings import read_setting, save_setting
from app.core.clock import utcnow
from app.core.db import dialect_insert
from app.core.errors import Conflict, Invalid, RateLimited
from app.core.schemas import Strict
from app.models import PolicyAcceptance, Share, User
from app.sharing.schemas import CanShare

SHARING_KEY = "sharing"

PolicyVersion = Annotated[str, Field(min_length=1, max_length=64,
                                     pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class Policy(Strict):
    version: PolicyVersion = Field(description="Advocates accept each version once.")
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


class SharingSettings(Strict):
    disclosure: Annotated[str, Field(max_length=200)] = Field(
        "", description="Appended to every share's caption, e.g. '#employee'; cannot be removed.")
    policy: Policy | None = None
    daily_share_cap: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        None, description="New shares per advocate per local day; null: no cap.")
    blocked_words: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]],
                             Field(max_length=500)] = Field(
        default_factory=list,
        description="Refused in an advocate's own caption (case-insensitive substring).")

    @field_validator("disclosure")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("blocked_words")
    @classmethod
    def _distinct_words(cls, words: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for word in words:
            word = word.strip()
            if word and word.casefold() not in seen:
                seen[word.casefold()] = word
        return list(seen.values())


async def sharing_settings(session: AsyncSession) -> SharingSettings:
    return await read_setting(session, SHARING_KEY, SharingSettings)


async def save_sharing_settings(session: AsyncSession,
                                settings: SharingSettings) -> SharingSettings:
    return await save_setting(session, SHARING_KEY, settings)


async def has_accepted(session: AsyncSession, user_id: str, version: str) -> bool:
    return await session.get(PolicyAcceptance, (user_id, version)) is not None


async def accept(session: AsyncSession, *, user: User, version: str) -> None:
    """Record the caller's acceptance of the current policy version (once)."""
    policy = (await sharing_settings(session)).policy
    if policy is None:
        raise Conflict("There is no sharing policy to accept.")
    if version != policy.version:
        raise Conflict(f"The current sharing policy is version {policy.version}, "
                       f"not {version}.")
    await session.execute(
        dialect_insert(session)(PolicyAcceptance)
        .values(user_id=user.id, version=version, accepted_at=utcnow())
        .on_conflict_do_nothing())


def local_day(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of ``now``'s calendar day in the organisation's zone, as UTC instants."""
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    end = datetime.combine(start.date() + timedelta(days=1), start.timetz())
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


async def shares_today(session: AsyncSession, user_id: str, *, now: datetime,
                       tz: ZoneInfo) -> int:
    start, end = local_day(now, tz)
    return await session.scalar(select(func.count()).select_from(Share).where(
        Share.user_id == user_id, Share.created_at >= start, Share.created_at < end)) or 0


async def can_share(session: AsyncSession, *, user: User, settings: SharingSettings,
                    now: datetime, tz: ZoneInfo) -> CanShare:
    """Whether a new share by ``user`` would be accepted now: the policy first, then the cap."""
    if settings.policy is not None and not await has_accepted(session, user.id,
                                                              settings.policy.version):
        return CanShare(allowed=False, reason="policy")
    if settings.daily_share_cap is not None and await shares_today(
            session, user.id, now=now, tz=tz) >= settings.daily_share_cap:
        return CanShare(allowed=False, reason="cap")
    return CanShare(allowed=True, reason=None)


async def check_new_share(session: AsyncSession, *, user: User, settings: SharingSettings,
                          now: datetime, tz: ZoneInfo) -> None:
    """409 without the current policy accepted; 429 past the daily cap (until local midnight)."""
    verdict = await can_share(session, user=user, settings=settings, now=now, tz=tz)
    if verdict.reason == "policy":
        assert settings.policy is not None
        raise Conflict(f"Accept the sharing policy (version {settings.policy.version}) "
                       "before sharing.")
    if verdict.reason == "cap":
        _, midnight = local_day(now, tz)
        raise RateLimited(
            f"You have reached today's limit of {settings.daily_share_cap} new shares; "
            "you can share again tomorrow.",
            retry_after=int((midnight - now).total_seconds()) + 1)


def without_disclosure(text: str, disclosure: str) -> str:
    """The advocate's words alone: a caption sent back with the disclosure already on it
    (as the page shows it) is the same caption."""
    if disclosure and text.rstrip().endswith(disclosure):
        return text.rstrip()[: -len(disclosure)].rstrip()
    return text


def with_disclosure(text: str, disclosure: str) -> str:
    text = text.strip()
    if not disclosure:
        return text
    return f"{text} {disclosure}" if text else disclosure


def blocked_word_in(text: str, words: list[str]) -> str | None:
    """The first blocked word the text holds, compared case-insensitively as a substring
    (so it works for languages written without spaces, such as Thai)."""
    folded = text.casefold()
    for word in words:
        if word.casefold() in folded:
            return word
    return None


def caption_text(*, corporate: str, own: str | None, locked: bool,
                 settings: SharingSettings) -> str:
    """The share's caption: the advocate's own words (checked against the policy) or the
    marketer's, then the disclosure."""
    if own is None:
        return with_disclosure(corporate, settings.disclosure)
    words = without_disclosure(own, settings.disclosure)
    if words.strip() != corporate.strip():
        if locked:
            raise Invalid("This post's caption is locked by the marketing team; share it "
                          "as written.", loc=["body", "caption"])
        word = blocked_word_in(words, settings.blocked_words)
        if word is not None:
            raise Invalid(f"Your caption contains the blocked word \"{word}\"; please "
                          "reword it.", loc=["body", "caption"])
    return with_disclosure(words, settings.disclosure)
