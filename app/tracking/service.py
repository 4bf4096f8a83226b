"""Following a tracked link: the 302 of §4 and the click it records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import bindparam, literal, select
from starlette.requests import cookie_parser

from app.auth.principal import SESSION_COOKIE
from app.auth.tokens import bearer_token, token_hash
from app.core.clock import utcnow
from app.core.db import Database
from app.models import Post, PostTopic, Share, ShareReservation, Topic
from app.models.enums import Network
from app.tracking.bots import is_bot
from app.tracking.click_log import log_row
from app.tracking.device import device_class
from app.tracking.links import CODE_PATTERN, new_click_id, redirect_parts
from app.tracking.recorder import ClickRecorder
from app.tracking.visitors import Visitors

REDIRECT_HEADERS = {
    "Cache-Control": "private, no-store",
    # The code is in our URL: nothing about it travels to the target site.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not found</title></head>
<body>
<h1>This link does not exist</h1>
<p>Check that it was copied in full. If someone shared it with you, ask them for it again.</p>
</body></html>
"""


RESERVED = ""  # the share_id of a target whose code is reserved, not yet a share


@dataclass(frozen=True, slots=True)
class Target:
    share_id: str
    advocate_id: str
    network: str
    post_id: str
    # The 302's Location is ``prefix + click_id + suffix``.
    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as ASGI sends it: the redirect skips the framework's response objects."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""


_FIRST_TOPIC = (
    select(Topic.slug).join(PostTopic, PostTopic.topic_id == Topic.id)
    .where(PostTopic.post_id == Post.id).order_by(Topic.slug).limit(1).scalar_subquery()
)
_TARGET = (
    select(Share.id, Share.user_id, Share.network, Share.post_id, Post.url, Post.campaign,
           _FIRST_TOPIC)
    .join(Post, Post.id == Share.post_id).where(Share.code == bindparam("code"))
)
_RESERVED = (
    select(literal(RESERVED), ShareReservation.user_id, literal(Network.native.value),
           ShareReservation.post_id, Post.url, Post.campaign, _FIRST_TOPIC)
    .join(Post, Post.id == ShareReservation.post_id)
    .where(ShareReservation.code == bindparam("code"))
)


async def find_target(db: Database, code: str, *, click_param: str) -> Target | None:
    """The share behind a code; or, for a code reserved for a ``native`` share that no page
    has confirmed yet, a target whose ``share_id`` is ``RESERVED``."""
    async with db.engine.connect() as conn:
        row = (await conn.execute(_TARGET, {"code": code})).first()
        if row is None:
            row = (await conn.execute(_RESERVED, {"code": code})).first()
    if row is None:
        return None
    share_id, advocate_id, network, post_id, url, campaign, topic_slug = row
    prefix, suffix = redirect_parts(url, network=str(network), campaign=campaign or topic_slug,
                                    code=code, click_param=click_param)
    return Target(share_id, advocate_id, str(network), post_id, prefix, suffix)


class Targets:
    """Codes resolved in the last few seconds, so a burst on one link reads the database
    once. A post's new URL or campaign reaches its links within ``TTL`` seconds.

    ``claim`` turns a reserved code into its share (CONTRACT §3 ``native_url``: the share
    exists once the link is first followed) and says whether it did."""

    TTL = 5.0
    MAX = 50_000

    def __init__(self, db: Database, *, click_param: str,
                 claim: Callable[[str], Awaitable[bool]] | None = None) -> None:
        self._db = db
        self._click_param = click_param
        self._claim = claim
        self._known: dict[str, tuple[float, asyncio.Future[Target | None]]] = {}

    async def claimed(self, code: str) -> Target | None:
        """The share a reserved code becomes on its first GET (made once, whoever comes
        first: the page's confirmation or a reader)."""
        if self._claim is None or not await self._claim(code):
            return None
        self._known.pop(code, None)
        target = await self.get(code)
        return target if target is not None and target.share_id != RESERVED else None

    async def get(self, code: str) -> Target | None:
        now = time.monotonic()
        hit = self._known.get(code)
        if hit is None or hit[0] <= now:
            # One lookup per code, however many requests arrive while it runs.
            hit = (now + self.TTL, asyncio.ensure_future(
                find_target(self._db, code, click_param=self._click_param)))
            if len(self._known) >= self.MAX:
                self._known.clear()
            self._known[code] = hit
        found = hit[1]
        if found.done() and not found.cancelled() and found.exception() is None:
            return found.result()  # the usual case: no wrapping future to make and await
        try:
            return await asyncio.shield(found)
        except Exception:
            if self._known.get(code) is hit:
                del self._known[code]  # the next request tries again
            raise


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


_REDIRECT = _encoded({**REDIRECT_HEADERS, "Content-Length": "0"})
_NOT_FOUND_BODY = NOT_FOUND_HTML.encode()
NOT_FOUND = Answer(404, _encoded({
    "Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(_NOT_FOUND_BODY)),
    "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}), _NOT_FOUND_BODY)
# What the click needs from the request, and nothing else.
_WANTED = frozenset({b"user-agent", b"cookie", b"authorization", b"referer", b"sec-purpose",
                     b"purpose", b"x-purpose", b"x-moz"})


def _referrer_host(referrer: str | None) -> str | None:
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:255] if host else None


def _session_token(cookie: str | None, authorization: str | None) -> str | None:
    """The sign-in token the request carries, read as sign-in reads it: a bearer token, else
    the session cookie (login gives the same token for both)."""
    token = bearer_token(authorization)
    if token is None and cookie and SESSION_COOKIE in cookie:
        token = cookie_parser(cookie).get(SESSION_COOKIE) or None
    return token


async def follow(code: str, *, method: str, headers: Iterable[tuple[bytes, bytes]],
                 client: str | None, recorder: ClickRecorder, visitors: Visitors,
                 targets: Targets) -> Answer:
    """Redirect to the stored post URL; a GET is recorded as a click before the 302 leaves."""
    target = await targets.get(code) if CODE_PATTERN.match(code) else None
    if target is not None and target.share_id == RESERVED and method != "HEAD":
        target = await targets.claimed(code)
    if target is None:
        return NOT_FOUND
    click_id = new_click_id()
    answer = Answer(302, [*_REDIRECT, (b"location",
                                       f"{target.prefix}{click_id}{target.suffix}".encode())])
    if method == "HEAD":
        return answer
    found = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers if k in _WANTED}
    now = utcnow()
    user_agent = found.get("user-agent")
    _, hashed, address = await visitors.hashes(now, client, user_agent)
    bot = is_bot(user_agent, found)
    token = _session_token(found.get("cookie"), found.get("authorization"))
    await recorder.record_row(log_row(
        click_id=click_id, share_id=target.share_id, advocate_id=target.advocate_id,
        network=target.network, post_id=target.post_id, occurred_at=now,
        visitor_hash=hashed, address_hash=address,
        device=device_class(user_agent or "", bot=bot),
        referrer_host=_referrer_host(found.get("referer")), bot=bot,
        token_hash=token_hash(token) if token else None))
    return answer
