"""The feed as /app shows it: cards ready to share in one tap, the topic filter, and what the
organisation's sharing policy asks of the viewer before they share."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import service as content_service
from app.content import topics as topics_service
from app.content.schemas import FeedItem
from app.core.clock import utcnow
from app.core.errors import NotFound
from app.models import Share, User
from app.models.enums import Network, PostStatus
from app.sharing import feed as sharing_feed
from app.sharing import policy
from app.sharing import service as sharing_service
from app.sharing.intents import caption_for
from app.sharing.policy import Policy, SharingSettings
from app.sharing.schemas import CanShare, ShareRead
from app.web.advocate import captions, links
from app.web.advocate.captions import CaptionProblem

PAGE_SIZE = 10
MAX_TOPICS = 200


@dataclass(frozen=True)
class SharingView:
    """What the organisation's sharing settings mean for the viewer right now."""

    settings: SharingSettings
    verdict: CanShare

    @property
    def disclosure(self) -> str:
        return self.settings.disclosure

    @property
    def cap(self) -> int | None:
        return self.settings.daily_share_cap

    @property
    def policy_to_accept(self) -> Policy | None:
        """The policy, while the viewer has not accepted its current version."""
        return self.settings.policy if self.verdict.reason == "policy" else None


@dataclass(frozen=True)
class TopicChip:
    id: str
    name: str
    followed: bool


@dataclass(frozen=True)
class Card:
    """One post, as the viewer would share it."""

    post: FeedItem
    words: str  # the caption as shown and edited: the advocate's own words, or the post's
    own: str | None  # the advocate's own words, when they differ from the post's
    problem: CaptionProblem | None
    intents: list[links.NetworkLink]
    copy_href: str
    x_room: int  # characters left on X for what it would get (negative: too many)
    topic_names: list[str]

    @property
    def corporate(self) -> str:
        """The post's own caption (what the editor starts from)."""
        return caption_for(self.post.captions.model_dump(exclude_none=True), Network.native)

    @property
    def corporate_x(self) -> str:
        """What X gets while the advocate keeps the post's words: its X caption, if any."""
        return caption_for(self.post.captions.model_dump(exclude_none=True), Network.x)

    @property
    def shared_on(self) -> list[str]:
        return self.post.shared_on


@dataclass(frozen=True)
class FeedView:
    cards: list[Card]
    next_cursor: str | None
    topics: list[TopicChip]
    topic_id: str | None
    sharing: SharingView

    @property
    def more_href(self) -> str | None:
        """The next page of the same feed (the API's cursor), or None at the end."""
        if self.next_cursor is None:
            return None
        query = {"cursor": self.next_cursor}
        if self.topic_id is not None:
            query["topic"] = self.topic_id
        return "/app?" + urlencode(query)


@dataclass(frozen=True)
class PostView:
    card: Card
    sharing: SharingView
    copied: ShareRead | None  # the viewer's copy-link share, shown after "Copy link"


async def sharing_view(session: AsyncSession, *, user: User, tz: ZoneInfo,
                       verdict: CanShare | None = None) -> SharingView:
    """``verdict``: the viewer's ``can_share`` when the feed already gave it."""
    settings = await policy.sharing_settings(session)
    if verdict is None:
        verdict = await policy.can_share(session, user=user, settings=settings, now=utcnow(),
                                         tz=tz)
    return SharingView(settings=settings, verdict=verdict)


async def topic_chips(session: AsyncSession, user: User) -> list[TopicChip]:
    """Every topic, the ones the viewer follows first (each part by name)."""
    topics, _ = await topics_service.list_topics(session, limit=MAX_TOPICS, cursor=None)
    followed = set(await content_service.followed_topic_ids(session, user.id))
    chips = [TopicChip(t.id, t.name, t.id in followed) for t in topics]
    return [c for c in chips if c.followed] + [c for c in chips if not c.followed]


def card(item: FeedItem, *, csrf_token: str, sharing: SharingView, topic_names: dict[str, str],
         typed: str | None = None) -> Card:
    """``typed``: a caption the viewer wrote (a form sent back, or a link followed)."""
    captions_by_network = item.captions.model_dump(exclude_none=True)
    corporate = caption_for(captions_by_network, Network.native)
    own = captions.own_words(typed, corporate=corporate, disclosure=sharing.disclosure)
    problem = captions.problem_with(own, locked=item.lock_caption, settings=sharing.settings)
    usable = own if problem is None else None
    x_text = own or caption_for(captions_by_network, Network.x)  # what X would get
    return Card(
        post=item, words=own or corporate, own=own, problem=problem,
        intents=links.intents(csrf_token, item.id, usable),
        copy_href=links.href(csrf_token, item.id, Network.copy, usable),
        x_room=captions.x_room(x_text, sharing.disclosure),
        topic_names=[topic_names[t] for t in item.topic_ids if t in topic_names],
    )


async def feed_view(session: AsyncSession, *, user: User, csrf_token: str, topic_id: str | None,
                    cursor: str | None, base_url: str, tz: ZoneInfo) -> FeedView:
    chips = await topic_chips(session, user)
    if topic_id is not None and topic_id not in {c.id for c in chips}:
        raise NotFound("No such topic.")
    items, next_cursor = await sharing_feed.feed(session, user=user, topic_id=topic_id,
                                                 limit=PAGE_SIZE, cursor=cursor,
                                                 base_url=base_url, tz=tz)
    sharing = await sharing_view(session, user=user, tz=tz,
                                 verdict=items[0].can_share if items else None)
    names = {c.id: c.name for c in chips}
    return FeedView(
        cards=[card(i, csrf_token=csrf_token, sharing=sharing, topic_names=names) for i in items],
        next_cursor=next_cursor, topics=chips, topic_id=topic_id, sharing=sharing)


async def feed_item(session: AsyncSession, *, user: User, post_id: str,
                    tz: ZoneInfo) -> FeedItem:
    """One post of the viewer's feed as ``feed()`` gives it, but without its native link yet
    (:func:`reserve_native`); 404 when it is not in their feed (not visible to them, not
    published, or expired)."""
    post = await content_service.get_for_user(session, post_id, user)
    now = utcnow()
    if post.status != PostStatus.published or (post.expires_at and post.expires_at <= now):
        raise NotFound("No such post.")
    read = await content_service.read_one(session, post)
    shared = await content_service.shared_networks(session, user_id=user.id, post_ids=[post.id])
    item = FeedItem(**read.model_dump(), shared_on=shared[post.id])
    settings = await policy.sharing_settings(session)
    item.can_share = await policy.can_share(session, user=user, settings=settings, now=now, tz=tz)
    return item


async def reserve_native(session: AsyncSession, *, user: User, item: FeedItem,
                         base_url: str) -> None:
    """Hand out the item's native link (a reservation, kept when the answer is committed)."""
    if item.can_share.allowed:
        codes = await sharing_feed.native_codes(session, user_id=user.id, post_ids=[item.id],
                                                now=utcnow())
        item.native_url = sharing_service.tracked_url(base_url, codes[item.id])


async def copied_share(session: AsyncSession, *, user: User, item: FeedItem,
                       base_url: str) -> ShareRead | None:
    share = await session.scalar(select(Share).where(
        Share.user_id == user.id, Share.post_id == item.id, Share.network == Network.copy))
    if share is None:
        return None
    return sharing_service.to_read(share, base_url=base_url, title=item.title or "")


async def post_view(session: AsyncSession, *, user: User, csrf_token: str, post_id: str,
                    typed: str | None, show_copied: bool, base_url: str, tz: ZoneInfo,
                    reserve: bool = True) -> PostView:
    """One post with its share controls, the viewer's caption ``typed`` checked. Its native
    link is handed out only with ``reserve`` and an acceptable caption: a refused page is not
    committed, and a reservation made for it would vanish while its link was shared."""
    item = await feed_item(session, user=user, post_id=post_id, tz=tz)
    sharing = await sharing_view(session, user=user, tz=tz, verdict=item.can_share)
    names = {c.id: c.name for c in await topic_chips(session, user)}
    shown = card(item, csrf_token=csrf_token, sharing=sharing, topic_names=names, typed=typed)
    if reserve and shown.problem is None:
        await reserve_native(session, user=user, item=item, base_url=base_url)
    copied = (await copied_share(session, user=user, item=item, base_url=base_url)
              if show_copied else None)
    return PostView(card=shown, sharing=sharing, copied=copied)
